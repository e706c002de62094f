"""The API documentation page works in a browser under the site's Content-Security-Policy,
with no request leaving the site."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_shows_the_api_from_our_own_files(page, live_server) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Supportal API")
    expect(page.get_by_text("/api/v1/tickets/{reference}", exact=True).first).to_be_visible()
    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e]
