"""The request page and the ticket page after the eighth performance round
(docs/performance.md, "Eighth round"): their menus and help are rendered once per language
(``core/templatetags/per_language.py``) and their menus of people without a template node per
person (``core/templatetags/people.py``); what a user typed is still escaped on both pages,
and each language still reads its own menus."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from supportal.tickets import services

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


def test_what_users_typed_is_escaped_on_both_pages(client, cast):
    for person in (cast.cristina, cast.colleague):
        person.first_name = HOSTILE
        person.save(update_fields=["first_name"])
    # The colleague is offered in both pages' "Share with a colleague" menu.
    option = (
        f'<option value="{cast.colleague.pk}">{escape(str(cast.colleague))}'
        f" ({escape(cast.colleague.email)})</option>"
    )
    ticket = cast.ticket(summary=f"Summary {HOSTILE}", details=f"Details {HOSTILE}")
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body=f"Comment {HOSTILE}")

    for user, url in (
        (cast.cristina, reverse("portal:request", args=[ticket.reference])),
        (cast.agent_help, reverse("workspace:ticket", args=[ticket.reference])),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert HOSTILE not in page
        assert f"Summary {ESCAPED}" in page
        assert f"Comment {ESCAPED}" in page
        assert ESCAPED in page.split(f"Comment {ESCAPED}")[0]  # the name, before the comment
        assert ESCAPED in option
        assert option in page


@pytest.mark.parametrize("language", ["en", "cs"])
def test_each_language_reads_its_own_menus(client, cast, language):
    ticket = cast.ticket()
    for user, url in (
        (cast.cristina, reverse("portal:request", args=[ticket.reference])),
        (cast.agent_help, reverse("workspace:ticket", args=[ticket.reference])),
    ):
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
        with translation.override(language):
            expected = [translation.gettext("Log out"), translation.gettext("Skip to content")]
        page = client.get(url).content.decode()
        assert all(f">{text}<" in page for text in expected)
        # The language switcher marks this language, and only this one.
        assert page.count('aria-current="true"') == 1
        assert f'lang="{language}" class="link current" aria-current="true"' in page


def test_a_value_from_the_context_cannot_be_kept():
    with pytest.raises(TemplateSyntaxError):
        Template("{% load per_language %}{% per_language %}{{ name }}{% end_per_language %}")
    with pytest.raises(TemplateSyntaxError):
        Template(
            "{% load per_language %}{% per_language %}{% url 'portal:request' reference %}"
            "{% end_per_language %}"
        )


def test_the_kept_markup_follows_the_language():
    kept = Template(
        "{% load i18n per_language %}{% per_language %}<a href=\"{% url 'portal:requests' %}\">"
        '{% translate "Log out" %}</a>{% end_per_language %}'
    )
    rendered = {}
    for language in ("en", "cs", "en"):
        with translation.override(language):
            rendered[language] = kept.render(Context())
            assert rendered[language] == (
                f'<a href="{reverse("portal:requests")}">{translation.gettext("Log out")}</a>'
            )
    assert rendered["en"] != rendered["cs"]
