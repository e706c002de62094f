"""Names that administrators type, in every language (docs/languages.md#names): each reader sees
the desk, request type, priority, custom field and support line in their own language — on
the portal, in the workspace, in mails and in CSV — else in the site's, else in any filled one;
the admin edits all three side by side and searches in all of them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from supportal.accounts.models import PortalSettings, User
from supportal.core.jobs import worker_tick
from supportal.desks.models import CustomField, Priority, RequestType
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import NotificationSettings

pytestmark = pytest.mark.django_db


def _site(language: str) -> None:
    row = PortalSettings.load()
    row.default_language = language
    row.save()


def _name(row, field: str = "name", **texts: str) -> None:
    for language, text in texts.items():
        setattr(row, f"{field}_{language}", text)
    row.save()


def _drain() -> None:
    for _ in range(10):
        handled = worker_tick(holder="test")
        if not any(handled.get(name) for name in ("notifications.pending", "mail.outbox")):
            return


def _catalogue_in_three_languages(cast) -> None:
    _name(cast.help_desk, en="Helpdesk", ro="Asistență tehnică", cs="Technická podpora")
    _name(cast.question, en="Question", ro="Întrebare", cs="Dotaz")
    _name(cast.bug, en="Bug", ro="Eroare", cs="Chyba")
    _name(cast.high, en="High", ro="Ridicată", cs="Vysoká")
    _name(cast.normal, en="Normal", ro="Normală", cs="Normální")


def test_a_name_reads_in_the_readers_language_else_the_sites_else_any_filled_one(cast):
    _site("ro")
    question = RequestType.objects.get(pk=cast.question.pk)
    _name(question, ro="Întrebare")
    fresh = RequestType.objects.get(pk=question.pk)
    with translation.override("cs"):
        assert fresh.name == "Întrebare"  # no Czech yet: the site's language
    with translation.override("en"):
        assert fresh.name == "Question"
    _name(question, cs="Dotaz")
    with translation.override("cs"):
        assert RequestType.objects.get(pk=question.pk).name == "Dotaz"
    # Typed in English only (the site is Romanian): every reader sees the English one.
    only_english = Priority.objects.create(name_en="Critical", rank=40)
    with translation.override("cs"):
        assert Priority.objects.get(pk=only_english.pk).name == "Critical"
        assert list(Priority.objects.filter(pk=only_english.pk).values_list("name", flat=True)) == [
            "Critical"
        ]


def test_a_czech_customer_files_and_lists_requests_under_czech_names(client, cast):
    _catalogue_in_three_languages(cast)
    CustomField.objects.create(
        desk=cast.help_desk, name="retailer", label_en="Retailer", label_cs="Obchodní řetězec"
    )
    jana = User.objects.create_user(
        "jana@novak.example", password="parola123", organization=cast.cristina_srl, language="cs"
    )
    client.force_login(jana)
    form = client.get(f"{reverse('portal:new')}?desk=HELP").content.decode()
    assert "Dotaz" in form and "Chyba" in form and "Vysoká" in form
    assert "Obchodní řetězec" in form
    assert ">Question<" not in form and ">High<" not in form
    cast.ticket(requester=jana, request_type=cast.question)
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("portal:requests")).content.decode()
    assert "Technická podpora" in page and "Dotaz" in page and "Helpdesk" not in page
    for _ in range(3):
        cast.ticket(requester=jana, request_type=cast.bug)
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("portal:requests")).content.decode()
    assert "Chyba" in page
    # The names in every language come with the rows: no query per row.
    assert len(four.captured_queries) == len(one.captured_queries)


def test_the_agents_queue_shows_priorities_in_the_agents_language(client, cast):
    _catalogue_in_three_languages(cast)
    cast.agent_help.language = "ro"
    cast.agent_help.save()
    cast.ticket(priority=cast.high)
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:queue")).content.decode()
    assert "Ridicată" in page and ">High<" not in page


def test_each_mail_names_things_in_its_recipients_language(cast):
    _site("ro")
    _catalogue_in_three_languages(cast)
    channels = NotificationSettings.load()
    _name(channels, "working_hours", ro="Luni–Vineri 08:00–17:00", cs="Pondělí–pátek 08:00–17:00")
    _name(channels, "team_name", ro="Echipa Tecnet", cs="Tým Tecnet", en="The Tecnet team")
    cast.agent_help.language = "cs"
    cast.agent_help.save()
    jana = User.objects.create_user("jana@novak.example", organization=cast.cristina_srl)
    jana.language = "cs"
    jana.save()
    ana = User.objects.create_user("ana@example.com", organization=cast.cristina_srl)
    OutboundEmail.objects.all().delete()
    cast.ticket(requester=jana, actor=jana, summary="Tiskárna", details="Netiskne účtenky.")
    cast.ticket(requester=ana, actor=ana, summary="Imprimanta", details="Nu tipărește bonuri.")
    _drain()
    created = {m.to[0]: m for m in OutboundEmail.objects.filter(template="ticket_created")}
    assert "Pondělí–pátek 08:00–17:00" in created["jana@novak.example"].body_text
    assert "Tým Tecnet" in created["jana@novak.example"].body_text
    assert "Luni–Vineri 08:00–17:00" in created["ana@example.com"].body_text
    assert "Echipa Tecnet" in created["ana@example.com"].body_text
    assert "Luni–Vineri" not in created["jana@novak.example"].body_text
    # The agent reads the desk's name in Czech, whoever wrote the request.
    to_agent = [
        m
        for m in OutboundEmail.objects.filter(template="agent_new_ticket")
        if cast.agent_help.email in m.to
    ]
    assert to_agent and all("Technická podpora" in m.body_text for m in to_agent)


def test_the_admin_types_a_name_in_three_languages_and_finds_it_by_any(client, cast):
    client.force_login(cast.admin)
    form = client.get(reverse("admin:desks_priority_add")).content.decode()
    for language in ("en", "ro", "cs"):
        assert f'name="name_{language}"' in form
    answer = client.post(
        reverse("admin:desks_priority_add"),
        {"name_en": "Urgent", "name_ro": "Urgentă", "name_cs": "Naléhavá", "rank": 30},
    )
    assert answer.status_code == 302
    urgent = Priority.objects.get(rank=30)
    with translation.override("cs"):
        assert urgent.name == "Naléhavá"
    found = client.get(reverse("admin:desks_priority_changelist"), {"q": "Naléhavá"})
    assert "Urgent" in found.content.decode() or "Naléhavá" in found.content.decode()
    assert found.context["cl"].result_count == 1
    form = client.get(reverse("admin:desks_desk_change", args=[cast.help_desk.pk])).content
    assert b'name="name_cs"' in form and b'name="request_types-0-name_ro"' in form


def test_the_portals_footer_shows_the_working_hours_in_each_readers_language(client, cast):
    _site("ro")
    channels = NotificationSettings.load()
    _name(channels, "working_hours", ro="Luni–Vineri 08:00–17:00", cs="Pondělí–pátek 08:00–17:00")
    cast.colleague.language = "ro"
    cast.colleague.save()
    client.force_login(cast.colleague)
    assert "Luni–Vineri 08:00–17:00" in client.get(reverse("portal:requests")).content.decode()
    cast.cristina.language = "cs"
    cast.cristina.save()
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:requests")).content.decode()
    assert "Pondělí–pátek 08:00–17:00" in page and "Luni–Vineri" not in page


def test_the_first_visit_questions_are_answered_in_the_sites_language(client, cast):
    client.force_login(cast.admin)  # an English page
    answer = client.post(
        reverse("workspace:setup"),
        {
            "default_language": "ro",
            "default_time_zone": "Europe/Bucharest",
            "team_name": "Echipa Tecnet",
            "support_email": "helpdesk@tecnet.example",
            "portal_url": "",
            "phone": "+40 21 231 4702",
            "working_hours": "Luni–Vineri 08:00–17:00",
            "emergency_phone": "+40 721 000 911",
            "emergency_note": "",
        },
    )
    assert answer.status_code == 302
    channels = NotificationSettings.load()
    assert channels.working_hours_ro == "Luni–Vineri 08:00–17:00"
    assert channels.team_name_ro == "Echipa Tecnet" and not channels.team_name_en
    with translation.override("cs"):
        assert NotificationSettings.load().working_hours == "Luni–Vineri 08:00–17:00"


def test_a_priority_change_reads_in_the_customers_language_whoever_made_it(client, cast):
    from supportal.tickets import services

    _catalogue_in_three_languages(cast)
    cast.agent_help.language = "ro"
    cast.agent_help.save()
    ticket = cast.ticket()
    with translation.override("ro"):  # the agent's page
        services.ticket_fields_change(ticket=ticket, actor=cast.agent_help, priority=cast.high)
    cast.cristina.language = "cs"
    cast.cristina.save()
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    assert "Vysoká" in page and "Ridicată" not in page


def test_a_canned_reply_is_inserted_in_the_customers_language(client, cast):
    from supportal.replies.models import CannedReply

    CannedReply.objects.create(
        desk=cast.help_desk,
        title_en="Password reset",
        body_en="Hello {requester_name}, your password was reset.",
        body_cs="Dobrý den, {requester_name}, heslo bylo obnoveno.",
    )
    cast.cristina.language = "cs"
    cast.cristina.save()
    ticket = cast.ticket()
    client.force_login(cast.agent_help)  # an English page
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    assert "Password reset" in page
    assert "Dobrý den, Cristina Tănăsescu, heslo bylo obnoveno." in page
