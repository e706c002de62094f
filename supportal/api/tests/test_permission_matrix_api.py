"""The permission matrix through the API: every role × object × action of
``portal/tests/test_permission_matrix.py`` gives the same answer with the role's own token as the
data layer and the portal give (docs/api.md: "what one may not see is 404"). The table is the
portal's ``EXPECTED``, so a cell added there is checked here too.
"""

from __future__ import annotations

import pytest

from supportal.api.tests.conftest import ApiClient
from supportal.portal.tests import test_permission_matrix as matrix
from supportal.portal.tests.test_permission_matrix import (
    ANONYMOUS,
    DESK_AGENT,
    EXPECTED,
    OTHER_DESK_AGENT,
    SIGNED_IN,
    World,
)
from supportal.tickets.models import Comment, Quote, QuoteState, Ticket
from supportal.tickets.workflow import Status

# The portal matrix's world (its fixtures), built once for the module.
media_root, _module_world, world = matrix.media_root, matrix._module_world, matrix.world


def _through_the_api(api: ApiClient, world: World, obj: str, action: str) -> bool:
    ticket = world.ticket
    path = f"/api/v1/tickets/{ticket.reference}"

    def detail() -> dict | None:
        response = api.get(path)
        return response.json() if response.status_code == 200 else None

    def shows(text: str) -> bool:
        data = detail()
        return data is not None and text in str(data)

    def listed(url: str = "/api/v1/tickets", **params: str) -> bool:
        response = api.get(url, params)
        if response.status_code != 200:
            return False
        return ticket.reference in [item["reference"] for item in response.json()["items"]]

    def found(word: str) -> bool:
        return listed("/api/v1/search", q=word)

    def file_listed(name: str) -> bool:
        data = detail()
        return data is not None and name in [a["file_name"] for a in data["attachments"]]

    def downloads(attachment_id: int) -> bool:
        return api.get(f"/api/v1/attachments/{attachment_id}").status_code == 200

    def comment() -> bool:
        api.post(f"{path}/comments", {"body": "hello there"})
        return Comment.objects.filter(ticket=ticket, body="hello there").exists()

    def cancel() -> bool:
        api.post(f"{path}/actions/cancel")
        return Ticket.objects.get(pk=ticket.pk).status == Status.CANCELLED

    def accept() -> bool:
        api.post(f"{path}/quotes/{world.quote.pk}/answer", {"is_accepted": True})
        return Quote.objects.get(pk=world.quote.pk).state == QuoteState.ACCEPTED

    checks = {
        ("request", "list"): lambda: listed(),
        ("request", "view"): lambda: detail() is not None,
        ("request", "search"): lambda: found("unicorn"),
        ("request", "comment"): comment,
        ("request", "act"): cancel,
        ("comment", "view"): lambda: shows("zebra driver"),
        ("comment", "search"): lambda: found("zebra"),
        ("internal_note", "view"): lambda: shows("okapi"),
        ("internal_note", "search"): lambda: found("okapi"),
        ("attachment", "view"): lambda: file_listed("cristina-scan.txt"),
        ("attachment", "download"): lambda: downloads(world.attachment.pk),
        ("agent_attachment", "download"): lambda: downloads(world.agent_attachment.pk),
        # The API's record of a request is its JSON: the portal's export, as data.
        ("export", "download"): lambda: detail() is not None,
        ("quote", "view"): lambda: shows("777"),
        ("quote", "act"): accept,
    }
    return checks[(obj, action)]()


@pytest.mark.parametrize(
    ("role", "obj", "action"),
    [(role, *cell) for role in SIGNED_IN for cell in EXPECTED],
)
def test_permission_matrix_through_the_api(world, role, obj, action):
    api = ApiClient(world.users[role])
    allowed = _through_the_api(api, world, obj, action)
    assert allowed == (role in EXPECTED[(obj, action)])


def test_without_a_token_every_cell_is_refused(world, client):
    assert world.users[ANONYMOUS] is None
    reference = world.ticket.reference
    for method, url in (
        ("get", "/api/v1/tickets"),
        ("get", f"/api/v1/tickets/{reference}"),
        ("get", "/api/v1/search?q=unicorn"),
        ("get", f"/api/v1/attachments/{world.agent_attachment.pk}"),
        ("post", f"/api/v1/tickets/{reference}/comments"),
        ("post", f"/api/v1/tickets/{reference}/actions/cancel"),
        ("post", f"/api/v1/tickets/{reference}/quotes/{world.quote.pk}/answer"),
    ):
        answer = getattr(client, method)(url)
        assert answer.status_code == 401, url
        assert "zebra" not in answer.content.decode()
    assert Ticket.objects.get(pk=world.ticket.pk).status != Status.CANCELLED


@pytest.mark.parametrize("role", [DESK_AGENT, OTHER_DESK_AGENT])
def test_what_an_agent_may_not_see_is_not_found_like_a_missing_request(world, role):
    """Another desk's request answers exactly as a request that does not exist."""
    api = ApiClient(world.users[role])
    seen = api.get(f"/api/v1/tickets/{world.ticket.reference}")
    missing = api.get("/api/v1/tickets/HELP-999999")
    assert missing.status_code == 404
    if role == OTHER_DESK_AGENT:
        reference, other = world.ticket.reference, "HELP-999999"
        assert seen.status_code == 404
        assert seen.content.decode().replace(reference, other) == missing.content.decode()
    else:
        assert seen.status_code == 200
