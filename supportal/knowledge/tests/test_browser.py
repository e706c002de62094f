"""Suggestions in a real browser (Chromium via Playwright): a Czech customer typing "nejde mi
tisknout faktury" sees the article and the colleague's solved request before sending; an agent
inserts a similar request's solution into the reply in one click (docs/knowledge.md)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from supportal.accounts.models import OrganizationProduct
from supportal.knowledge import embeddings, services
from supportal.knowledge.models import SuggestionOpen, Visibility
from supportal.tickets.services import ticket_transition
from supportal.tickets.workflow import Action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def printing(cast):
    cast.cristina_srl.shares_requests = True
    cast.cristina_srl.save()
    OrganizationProduct.objects.create(
        organization=cast.cristina_srl, product=cast.product, shares_requests=True
    )
    solved = cast.ticket(
        requester=cast.colleague,
        summary="Tisk faktur nefunguje",
        details="Nemohu vytisknout fakturu.",
        product=cast.product,
    )
    ticket_transition(
        ticket=solved,
        actor=cast.agent_help,
        action=Action.RESOLVE,
        resolution="Ve Faktury > Nastavení tisku vyberte výchozí tiskárnu.",
    )
    article = services.article_save(
        actor=cast.agent_help, language="cs", title="Jak tisknout faktury",
        body="Otevřete **Faktury** a zvolte Tisk.", product=None, topic=None,
        visibility=Visibility.EVERYONE,
    )  # fmt: skip
    services.article_publish(actor=cast.agent_help, article=article, publish=True)
    embeddings.embeddings_refresh()
    return solved


def test_a_czech_customer_sees_answers_while_typing(page, cast, live_server, printing):
    cast.cristina.language = "cs"
    cast.cristina.save()
    _log_in(page, cast.cristina, live_server)
    page.goto("/requests/new/?desk=HELP")
    page.locator("[name=summary]").press_sequentially("nejde mi tisknout faktury", delay=20)
    box = page.locator("#suggestions")
    expect(box.get_by_role("link", name="Jak tisknout faktury")).to_be_visible(timeout=5000)
    expect(box).to_contain_text(printing.reference)
    expect(box).to_contain_text("výchozí tiskárnu")
    with page.context.expect_page() as opened:
        box.get_by_role("link", name="Jak tisknout faktury").click()
    expect(opened.value.locator("h1")).to_have_text("Jak tisknout faktury")
    assert SuggestionOpen.objects.filter(submitted=False).count() == 1


def test_an_agent_inserts_a_solution_in_one_click(page, cast, live_server, printing):
    ticket = cast.ticket(summary="Nejde tisknout faktury", details="Tiskárna nereaguje.")
    _log_in(page, cast.agent_help, live_server)
    page.goto(f"/agent/tickets/{ticket.reference}/")
    panel = page.locator("#kb-suggestions")
    expect(panel).to_contain_text(printing.reference, timeout=5000)
    panel.get_by_role("button", name="Insert the solution").first.click()
    expect(page.locator("#id_body")).to_have_value(
        "Ve Faktury > Nastavení tisku vyberte výchozí tiskárnu."
    )


def test_the_agents_panel_follows_the_reply_as_it_is_written(page, cast, live_server, printing):
    # Short texts in one language lie close together for the model (two unrelated Czech
    # questions score above VECTOR_THRESHOLD): the request starts in English, well below it.
    ticket = cast.ticket(summary="Contract end date", details="When does our contract end?")
    _log_in(page, cast.agent_help, live_server)
    page.goto(f"/agent/tickets/{ticket.reference}/")
    panel = page.locator("#kb-suggestions")
    # The panel has answered for the request itself (not merely not yet) before typing starts.
    expect(panel.locator(".suggested-requests")).to_have_text("None found.")
    page.locator("#id_body").press_sequentially("Faktury nejde tisknout, tiskárna", delay=20)
    expect(panel).to_contain_text(printing.reference, timeout=8000)
    expect(panel.get_by_role("link", name="Jak tisknout faktury")).to_be_visible()
