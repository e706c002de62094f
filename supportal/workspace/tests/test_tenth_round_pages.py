"""The ticket page's colleagues, customer card and canned replies read by statements compiled
once per process (docs/performance.md, "Tenth round: the request page and the ticket page"):
each request still shows its own rows, and only what the agent may see."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import Contract, User
from supportal.desks.models import DeskMembership
from supportal.replies.models import CannedReply


def _page(client, ticket) -> str:
    return client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()


def test_each_request_shows_its_own_colleagues_contracts_requests_and_replies(client, cast):
    today = timezone.localdate()
    Contract.objects.create(organization=cast.cristina_srl, name="Cristina Gold")
    Contract.objects.create(
        organization=cast.cristina_srl, name="Cristina Expired", ends_on=today - dt.timedelta(1)
    )
    Contract.objects.create(organization=cast.other_sa, name="Other Silver")
    User.objects.create_user("maria@other.test", first_name="Maria", organization=cast.other_sa)
    CannedReply.objects.create(desk=cast.help_desk, title="Help reply", body="Hello")
    CannedReply.objects.create(desk=cast.dev_desk, title="Dev reply", body="Hi")
    DeskMembership.objects.create(desk=cast.dev_desk, user=cast.agent_help)
    earlier_help = cast.ticket(summary="Cristina's earlier one")
    earlier_dev = cast.ticket(summary="Cristina's dev one", desk=cast.dev_desk)
    cristinas = cast.ticket()
    others = cast.ticket(requester=cast.other_customer, desk=cast.dev_desk)
    client.force_login(cast.agent_help)

    for _round in range(2):  # the second round runs the statements kept by the first
        page = _page(client, cristinas)
        assert "Cristina Gold" in page and "Cristina Expired" not in page
        assert "Other Silver" not in page
        assert earlier_help.reference in page and earlier_dev.reference in page
        assert "ion.popescu@example.com" in page and "maria@other.test" not in page
        assert "Help reply" in page and "Dev reply" not in page

        page = _page(client, others)
        assert "Other Silver" in page and "Cristina Gold" not in page
        assert earlier_help.reference not in page
        assert "maria@other.test" in page and "ion.popescu@example.com" not in page
        assert "Dev reply" in page and "Help reply" not in page


def test_the_customer_card_lists_only_requests_of_the_agent_s_desks(client, cast):
    on_dev = cast.ticket(summary="On the development desk", desk=cast.dev_desk)
    on_help = cast.ticket(summary="On the help desk")
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    for _round in range(2):
        page = _page(client, ticket)
        assert on_help.reference in page
        assert on_dev.reference not in page
    client.force_login(cast.admin)  # every desk
    page = _page(client, ticket)
    assert on_help.reference in page and on_dev.reference in page


def test_a_colleague_on_the_request_is_no_longer_offered(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    assert "ion.popescu@example.com" in _page(client, ticket)
    client.post(
        reverse("workspace:participant_add", args=[ticket.reference]), {"user": cast.colleague.pk}
    )
    page = _page(client, ticket)
    assert f'<option value="{cast.colleague.pk}"' not in page
