"""Administrators edit the notification mails (docs/notifications.md): overrides per mail and
language, a preview on a sample request, templates that do not compile refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.notifications.models import NotificationTemplate
from supportal.notifications.services import notification_template_save
from supportal.tickets.models import SubmissionMethod

CRISTINA = "cristina.tanasescu@example.com"


def override(cast, language="en", **parts):
    return notification_template_save(
        actor=cast.admin,
        template="ticket_created",
        language=language,
        subject=parts.get("subject", ""),
        body_text=parts.get("body_text", ""),
        body_html=parts.get("body_html", ""),
    )


def new_request(cast):
    return cast.ticket(
        actor=cast.agent_help, summary="Cristina SRL", submission_method=SubmissionMethod.PHONE
    )


def test_an_override_changes_the_mail_sent_in_its_language(cast, mailbox):
    override(
        cast,
        subject="[Tecnet] {{ ticket.reference }} {{ ticket.summary }}",
        body_text="Salut! Am primit {{ ticket.reference }}. {{ view_url }}",
    )
    new_request(cast)
    email = next(e for e in mailbox.deliver() if CRISTINA in e.to)
    assert email.subject == "[Tecnet] HELP-1 Cristina SRL"
    assert email.body_text == "Salut! Am primit HELP-1. https://help.example.com/requests/HELP-1/"
    # The part left empty comes from the files.
    assert "View request" in email.body_html


def test_an_override_in_another_language_leaves_this_one_alone(cast, mailbox):
    override(cast, language="cs", subject="Přijato {{ ticket.reference }}")
    new_request(cast)
    email = next(e for e in mailbox.deliver() if CRISTINA in e.to)
    assert email.subject == "HELP-1 Cristina SRL"


def test_the_html_override_is_autoescaped(cast, mailbox):
    override(cast, body_html="<p>{{ ticket.summary }}</p>")
    cast.ticket(actor=cast.agent_help, summary="<script>x</script> & co")
    email = next(e for e in mailbox.deliver() if CRISTINA in e.to)
    assert "<p>&lt;script&gt;x&lt;/script&gt; &amp; co</p>" in email.body_html


@pytest.mark.parametrize(
    "parts",
    [
        {"body_text": "{% if ticket %}never closed"},
        {"subject": "{{ ticket.reference|nosuchfilter }}"},
        {"body_html": "{% autoescape off %}{{ comment.body }}{% endautoescape %}"},
        {"body_html": "{{ comment.body|safe }}"},
    ],
)
def test_a_template_that_does_not_compile_or_is_unsafe_is_refused_and_nothing_saved(cast, parts):
    with pytest.raises(InvalidInput):
        override(cast, **parts)
    assert not NotificationTemplate.objects.exists()


def test_only_administrators_edit_the_mails(cast):
    with pytest.raises(PermissionRefused):
        notification_template_save(
            actor=cast.agent_help,
            template="ticket_created",
            language="en",
            subject="x",
            body_text="",
            body_html="",
        )


def test_saving_every_part_empty_goes_back_to_the_files(cast):
    override(cast, subject="x")
    assert override(cast) is None
    assert not NotificationTemplate.objects.exists()


def test_the_edit_page_previews_on_the_newest_request_and_lists_the_variables(cast, client):
    new_request(cast)
    client.force_login(cast.admin)
    page = client.post(
        "/notifications/templates/ticket_updated/ro/",
        {
            "intent": "preview",
            "subject": "{{ ticket.reference }} — nou",
            "body_text": "Text {{ ticket.summary }}",
            "body_html": "",
        },
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "HELP-1 — nou" in html
    assert "Text Cristina SRL" in html
    assert "<code>other_participants</code>" in html
    assert not NotificationTemplate.objects.exists()  # a preview saves nothing


def test_the_preview_uses_a_built_in_sample_when_there_is_no_request(cast, client):
    client.force_login(cast.admin)
    page = client.post(
        "/notifications/templates/agent_sla/en/",
        {"intent": "preview", "subject": "", "body_text": "", "body_html": ""},
    )
    assert page.status_code == 200
    assert "HELP-123" in page.content.decode()


def test_the_edit_page_refuses_a_broken_template_with_the_message(cast, client):
    client.force_login(cast.admin)
    page = client.post(
        "/notifications/templates/ticket_created/en/",
        {"intent": "save", "subject": "{% if %}", "body_text": "", "body_html": ""},
    )
    assert page.status_code == 400
    assert "does not compile" in page.content.decode()
    assert "{% if %}" in page.content.decode()  # what was typed is kept
    assert not NotificationTemplate.objects.exists()


def test_the_edit_page_saves_and_the_list_shows_it_changed(cast, client):
    client.force_login(cast.admin)
    page = client.post(
        "/notifications/templates/ticket_created/cs/",
        {"intent": "save", "subject": "{{ ticket.reference }}", "body_text": "", "body_html": ""},
    )
    assert page.status_code == 302
    row = NotificationTemplate.objects.get()
    assert (row.template, row.language, row.updated_by) == ("ticket_created", "cs", cast.admin)
    listing = client.get("/notifications/templates/").content.decode()
    assert "changed" in listing


@pytest.mark.parametrize("user", ["agent_help", "cristina"])
def test_the_template_pages_are_for_administrators_only(cast, client, user):
    client.force_login(getattr(cast, user))
    assert client.get("/notifications/templates/").status_code == 404
    assert client.get("/notifications/templates/ticket_created/en/").status_code == 404


def test_an_unknown_mail_is_not_found(cast, client):
    client.force_login(cast.admin)
    assert client.get("/notifications/templates/password_reset/en/").status_code == 404


def test_the_admin_refuses_a_template_that_does_not_compile(cast, client):
    client.force_login(cast.admin)
    page = client.post(
        "/admin/notifications/notificationtemplate/add/",
        {
            "template": "ticket_created",
            "language": "en",
            "subject": "{% if %}",
            "body_text": "",
            "body_html": "",
        },
    )
    assert page.status_code == 200
    assert "does not compile" in page.content.decode()
    assert not NotificationTemplate.objects.exists()


def test_the_workspace_links_to_my_notifications(cast, client):
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:queue")).content.decode()
    assert 'href="/notifications/preferences/"' in page
    assert 'href="/notifications/templates/"' not in page
