"""A customer opening the agents' workspace (docs/security.md, Pages): a page saying it is for the
support team, not an endless loop between /agent/ and the log-in page."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/agent/", "/agent/tickets/HELP-1/", "/agent/reports/sla/"])
def test_a_customer_is_told_the_workspace_is_for_the_support_team(client, cast, path):
    cast.ticket()
    client.force_login(cast.cristina)
    response = client.get(path, follow=True)
    assert len(response.redirect_chain) == 0
    assert response.status_code == 403
    page = response.content.decode()
    assert "This workspace is for the support team" in page
    assert 'href="/requests/"' in page or "/requests/" in page


def test_someone_not_logged_in_is_still_sent_to_log_in(client, db):
    response = client.get("/agent/")
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=/agent/")
