"""The knowledge base: who sees which article, versions, pages (docs/knowledge.md)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.accounts.models import OrganizationProduct
from supportal.company.models import Topic
from supportal.core.errors import NotFound, PermissionRefused
from supportal.desks.models import Product
from supportal.knowledge import selectors, services
from supportal.knowledge.models import Article, ArticleFeedback, Visibility
from supportal.knowledge.render import markdown_render
from supportal.tickets.workflow import Action

pytestmark = pytest.mark.django_db


BODY = "Deschideți **Facturi** și apăsați Tipărește."


def article(
    cast,
    title="Tipărirea facturilor",
    *,
    visibility=Visibility.CUSTOMERS,
    product=None,
    publish=True,
    language="ro",
    body=BODY,
):
    made = services.article_save(
        actor=cast.agent_help,
        language=language,
        title=title,
        body=body,
        product=product,
        topic=None,
        visibility=visibility,
    )
    if publish:
        services.article_publish(actor=cast.agent_help, article=made, publish=True)
    return made


def visible_titles(user) -> set[str]:
    return {
        selectors.article_text_for(a, "ro").title for a in selectors.article_list_for_user(user)
    }


def test_who_sees_which_article(cast):
    hr = Product.objects.create(name="HR")
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    article(cast, "Pentru toți", visibility=Visibility.EVERYONE, product=hr)
    article(cast, "Tecnet", product=cast.product)
    article(cast, "HR", product=hr)
    article(cast, "Fără produs", product=None)
    article(cast, "Intern", visibility=Visibility.INTERNAL)
    article(cast, "Ciornă", visibility=Visibility.EVERYONE, publish=False)

    assert visible_titles(cast.cristina) == {"Pentru toți", "Tecnet", "Fără produs"}
    # Other SA has no product: the product's articles are not theirs.
    assert visible_titles(cast.other_customer) == {"Pentru toți", "Fără produs"}
    assert len(visible_titles(cast.agent_dev)) == 6
    hidden = Article.objects.get(texts__title="HR")
    with pytest.raises(NotFound):
        selectors.article_get_for_user(cast.cristina, hidden.pk)


def test_customers_may_not_write_articles(cast):
    with pytest.raises(PermissionRefused):
        services.article_save(
            actor=cast.cristina, language="en", title="x", body="", product=None, topic=None,
            visibility=Visibility.EVERYONE,
        )  # fmt: skip


def test_versions_say_who_changed_what_and_languages_fall_back(cast):
    made = article(cast, publish=False)
    services.article_save(
        actor=cast.lead_help, article=made, language="cs", title="Tisk faktur",
        body="Otevřete Faktury.", product=None, topic=None, visibility=Visibility.EVERYONE,
    )  # fmt: skip
    services.article_publish(actor=cast.lead_help, article=made, publish=True)
    versions = list(made.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[1].editor == cast.lead_help
    assert "visibility" in versions[1].changes and "cs" in versions[1].changes
    assert versions[2].changes == "published"
    made = selectors.article_get_for_user(cast.cristina, made.pk)
    czech = selectors.article_text_for(made, "cs")
    assert (czech.title, czech.is_fallback) == ("Tisk faktur", False)
    english = selectors.article_text_for(made, "en")
    assert english.is_fallback and english.language in {"ro", "cs"}


def test_markdown_is_rendered_and_sanitised():
    html = markdown_render(
        "**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)"
        '\n\n<img src=x onerror="alert(1)">'
    )
    assert "<strong>bold</strong>" in html
    # Raw HTML is shown as text, never as elements; a javascript: link is no link.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html
    assert 'href="https://example.com"' in html


def test_portal_browse_search_read_and_answer(client, cast):
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    shown = article(cast, product=cast.product)
    hidden = article(cast, "Intern", visibility=Visibility.INTERNAL)
    client.force_login(cast.cristina)
    listing = client.get(reverse("portal:articles"), {"q": "tiparirea"}).text
    assert "Tipărirea facturilor" in listing and "Intern" not in listing
    page = client.get(reverse("portal:article", args=[shown.pk]))
    assert "<strong>Facturi</strong>" in page.text
    assert client.get(reverse("portal:article", args=[hidden.pk])).status_code == 404
    answer = client.post(
        reverse("portal:article_feedback", args=[shown.pk]),
        {"helpful": "no", "comment": "Nu găsesc butonul"},
    )
    assert answer.status_code == 302
    assert ArticleFeedback.objects.get().comment == "Nu găsesc butonul"
    assert (
        client.post(
            reverse("portal:article_feedback", args=[hidden.pk]), {"helpful": "yes"}
        ).status_code
        == 404
    )
    shown.refresh_from_db()
    assert shown.view_count == 1


def test_portal_list_costs_the_same_for_many_articles(client, cast, django_assert_max_num_queries):
    for i in range(3):
        article(cast, f"Articol {i}", visibility=Visibility.EVERYONE)
    client.force_login(cast.cristina)
    client.get(reverse("portal:articles"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("portal:articles"))
    counted = len(few.captured_queries)  # now: the log is read lazily
    for i in range(3, 15):
        article(cast, f"Articol {i}", visibility=Visibility.EVERYONE)
    with django_assert_max_num_queries(counted):
        assert client.get(reverse("portal:articles")).text.count("Articol ") == 15


def test_workspace_write_publish_and_report(client, cast):
    topic = Topic.objects.create(name="Facturare")
    client.force_login(cast.lead_help)
    answer = client.post(
        reverse("workspace:article_new"),
        {"language": "en", "title": "Printing invoices", "body": "Open *Invoices*.",
         "product": cast.product.pk, "topic": topic.pk, "visibility": "customers"},
    )  # fmt: skip
    made = Article.objects.get()
    assert answer.status_code == 302 and not made.is_published
    bad = client.post(
        reverse("workspace:article_edit", args=[made.pk]),
        {"language": "en", "title": "", "body": "kept text", "visibility": "customers"},
    )
    assert bad.status_code == 400 and "kept text" in bad.text
    client.post(reverse("workspace:article_publish", args=[made.pk]), {"publish": "1"})
    made.refresh_from_db()
    assert made.is_published
    page = client.get(reverse("workspace:article", args=[made.pk]))
    assert "<em>Invoices</em>" in page.text and "Version 2" in page.text
    ArticleFeedback.objects.create(article=made, is_helpful=False, comment="unclear")
    report = client.get(reverse("workspace:article_report"))
    assert "Printing invoices" in report.text
    client.force_login(cast.agent_help)
    assert client.get(reverse("workspace:article_report")).status_code == 404
    client.force_login(cast.cristina)
    assert client.get(reverse("workspace:articles")).status_code == 403


def test_one_click_turns_a_resolution_into_a_draft(client, cast):
    from supportal.tickets.services import ticket_transition

    ticket = cast.ticket(summary="Facturile nu se tipăresc", details="Eroare la tipărire")
    ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE,
        resolution="Reinstalați driverul imprimantei.",
    )  # fmt: skip
    client.force_login(cast.agent_help)
    assert (
        "Make a draft article"
        in client.get(reverse("workspace:ticket", args=[ticket.reference])).text
    )
    answer = client.post(reverse("workspace:article_from", args=[ticket.reference]))
    made = Article.objects.get()
    assert answer.url == reverse("workspace:article_edit", args=[made.pk])
    assert made.visibility == Visibility.INTERNAL and not made.is_published
    assert made.source_ticket == ticket
    assert "Reinstalați driverul" in made.texts.get().body
    # Another desk's agent may not see the request, so may not make an article of it.
    client.force_login(cast.agent_dev)
    assert (
        client.post(reverse("workspace:article_from", args=[ticket.reference])).status_code == 404
    )
