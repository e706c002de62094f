"""Each person's language without asking (docs/languages.md): the chain, the switcher, the phone
registration, mails in each recipient's language, the one-click pages, sizes and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from supportal.accounts.languages import recipient_language, recipient_time_zone
from supportal.accounts.models import Organization, PortalSettings, User
from supportal.core.formats import file_size, weekday_after_from
from supportal.core.jobs import worker_tick
from supportal.mail.models import OutboundEmail
from supportal.notifications.services import mute_url
from supportal.tickets import services
from supportal.tickets.workflow import Action

pytestmark = pytest.mark.django_db


def _site(language: str, zone: str = "Europe/Bucharest") -> None:
    row = PortalSettings.load()
    row.default_language, row.default_time_zone = language, zone
    row.save()


def _person(email: str, **fields) -> User:
    return User.objects.create_user(email, password="parola123", **fields)


def _drain() -> None:
    for _ in range(10):
        handled = worker_tick(holder="test")
        if not any(handled.get(name) for name in ("notifications.pending", "mail.outbox")):
            return


def test_the_chain_own_choice_company_written_browser_desk_site(cast):
    _site("ro")
    czech = Organization.objects.create(name="Novák s.r.o.", language="cs")
    person = _person("jana@novak.example", organization=czech, language="en")
    assert recipient_language(person) == "en"
    person.language = ""
    assert recipient_language(person) == "cs"
    person.organization, person.organization_id = None, None
    person.detected_language = "en"
    assert recipient_language(person, browser="cs") == "en"
    person.detected_language = ""
    assert recipient_language(person, browser="cs") == "cs"
    person.browser_language = "en"
    assert recipient_language(person, browser="cs") == "en"
    person.browser_language = ""
    cast.dev_desk.language = "cs"
    assert recipient_language(person, desk=cast.dev_desk) == "cs"
    assert recipient_language(person, desk=cast.help_desk) == "ro"


def test_time_zone_is_the_persons_else_the_companys_else_the_sites(cast):
    _site("ro", "Europe/Bucharest")
    prague = Organization.objects.create(name="Novák s.r.o.", time_zone="Europe/Prague")
    person = _person("jana@novak.example", organization=prague)
    assert recipient_time_zone(person) == "Europe/Prague"
    person.time_zone = "Europe/London"
    assert recipient_time_zone(person) == "Europe/London"
    assert recipient_time_zone(None) == "Europe/Bucharest"


def test_anonymous_pages_follow_the_browser_else_the_site_and_the_switcher(client):
    _site("cs")
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "cs" and 'lang="cs"' in page.content.decode()
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ro-RO,ro;q=0.9")
    assert 'lang="ro"' in page.content.decode()
    assert 'name="language" value="en"' in page.content.decode()  # the switcher, logged out
    answer = client.post(reverse("accounts:language"), {"language": "en", "next": "/login/"})
    assert answer.status_code == 302 and answer["Location"] == "/login/"
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ro")
    assert 'lang="en"' in page.content.decode()
    # Nowhere else to go back to.
    answer = client.post(
        reverse("accounts:language"), {"language": "ro", "next": "https://x.test/"}
    )
    assert answer["Location"] == "/"


def test_a_logged_in_switch_is_their_own_choice_and_the_saved_message_is_in_it(cast):
    web = Client(enforce_csrf_checks=True)
    person = _person("maria@example.com", language="en")
    web.force_login(person)
    page = web.get(reverse("accounts:profile")).content.decode()
    token = web.cookies["csrftoken"].value
    web.post(reverse("accounts:language"), {"language": "cs", "csrfmiddlewaretoken": token})
    person.refresh_from_db()
    assert person.language == "cs"
    assert 'lang="cs"' in page.replace('lang="en"', 'lang="cs"')  # the page had the switcher
    data = {"first_name": "Maria", "language": "ro", "time_zone": "", "csrfmiddlewaretoken": token}
    page = web.post(reverse("accounts:profile"), data, follow=True).content.decode()
    with translation.override("ro"):
        saved = translation.gettext("Your profile is saved.")
    assert saved in page and 'lang="ro"' in page


def test_the_browser_language_of_the_first_visit_is_stored(client, cast):
    person = _person("nou@example.com")
    client.force_login(person)
    client.get(reverse("portal:requests"), HTTP_ACCEPT_LANGUAGE="cs-CZ,cs;q=0.9,en;q=0.5")
    client.get(reverse("portal:requests"), HTTP_ACCEPT_LANGUAGE="ro")
    person.refresh_from_db()
    assert person.browser_language == "cs"


def test_what_a_customer_writes_tells_their_language_unless_they_chose_one(cast):
    person = _person("client@example.com", organization=cast.cristina_srl)
    cast.ticket(
        requester=person,
        summary="Imprimanta nu mai tipareste",
        details="Buna ziua, imprimanta fiscala nu mai tipareste bonuri de ieri.",
    )
    person.refresh_from_db()
    assert person.detected_language == "ro"
    chose = _person("chose@example.com", language="en")
    cast.ticket(requester=chose, summary="Tiskarna", details="Pokladni tiskarna netiskne uctenky")
    chose.refresh_from_db()
    assert chose.detected_language == ""


def _register(client, agent, **data) -> None:
    form = {
        "submission_method": "phone",
        "desk": agent.desk_memberships.first().desk_id,
        "summary": "Parola",
        "details": "",
        **data,
    }
    answer = client.post(reverse("workspace:register"), form)
    assert answer.status_code == 302, answer.content.decode()[:3000]


def test_the_agent_on_the_phone_sees_and_chooses_the_language_written_to(client, cast):
    _site("en")
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:register")).content.decode()
    assert 'name="language"' in page
    _register(client, cast.agent_help, email="petra@firma.example", language="cs")
    _register(
        client,
        cast.agent_help,
        email="ioana@firma.example",
        summary="Nu ma pot autentifica",
        details="Buna ziua, nu ma pot autentifica in portal de azi dimineata.",
    )
    invitations = dict(
        (to[0], language)
        for to, language in OutboundEmail.objects.filter(template="invitation").values_list(
            "to", "language"
        )
    )
    assert invitations == {"petra@firma.example": "cs", "ioana@firma.example": "ro"}
    panel = client.get(
        reverse("workspace:requester_lookup"), {"email": "ioana@firma.example"}
    ).content.decode()
    assert "Romanian" in panel


def test_mixed_participants_each_receive_the_update_in_their_language(cast):
    _site("ro")
    requester = _person("ana@example.com", organization=cast.cristina_srl)  # site: Romanian
    # A Czech colleague who once wrote in Czech.
    jana = _person("jana@novak.example", organization=cast.cristina_srl, detected_language="cs")
    john = _person("john@example.com", organization=cast.cristina_srl, language="en")
    ticket = cast.ticket(
        requester=requester, summary="Raport", details="Raport lunar", actor=cast.agent_help
    )
    for person in (jana, john):
        services.participant_add(ticket=ticket, actor=cast.agent_help, person=person)
    _drain()
    OutboundEmail.objects.all().delete()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    _drain()
    mails = {row.to[0]: row for row in OutboundEmail.objects.filter(template="ticket_updated")}
    assert {to: m.language for to, m in mails.items()} == {
        "ana@example.com": "ro",
        "jana@novak.example": "cs",
        "john@example.com": "en",
    }
    for to, language in (("ana@example.com", "ro"), ("jana@novak.example", "cs")):
        with translation.override(language):
            taken = translation.gettext("%(name)s has taken your request and is working on it.")
        assert taken % {"name": "Bogdan Moraru"} in mails[to].body_text
    assert "jana@novak.example" in mails["john@example.com"].body_text  # other participants


def test_the_mute_page_answers_in_the_recipients_language(client, cast):
    _site("en")
    czech = Organization.objects.create(name="Novák s.r.o.", language="cs")
    jana = _person("jana@novak.example", organization=czech)
    ticket = cast.ticket(requester=jana)
    link = mute_url(ticket=ticket, user=jana).split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + link, HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "cs"


def test_sizes_and_weekdays_as_each_language_writes_them():
    with translation.override("ro"):
        assert file_size(1536 * 1024) == "1,5\u00a0MB"
        assert file_size(20 * 1024 * 1024) == "20\u00a0MB"
    with translation.override("en"):
        assert file_size(1536 * 1024) == "1.5\u00a0MB"
        # Counted with ngettext: Czech and Romanian have three plural forms.
        assert (file_size(1), file_size(2), file_size(812)) == ("1 byte", "2 bytes", "812 bytes")
    with translation.override("cs"):
        assert weekday_after_from(dt.date(2026, 1, 14)) == "středy"  # a Wednesday
        assert file_size(8000).endswith("kB")


def test_the_sla_csv_opens_in_a_romanian_excel(client, cast):
    client.force_login(cast.lead_help)
    cast.lead_help.language = "ro"
    cast.lead_help.save()
    params = {"start": "2026-01-12", "end": "2026-01-12", "group_by": "desk", "format": "csv"}
    body = client.get(reverse("workspace:sla_report"), params).content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows[0]) == 9 and rows[0][0] == "Grup"


def test_a_fresh_install_asks_the_administrator_for_the_support_line(client, cast):
    client.force_login(cast.admin)
    page = client.get(reverse("workspace:queue")).content.decode()
    assert 'id="setup-needed"' in page
    form = client.get(reverse("workspace:setup")).content.decode()
    assert 'name="emergency_phone"' in form and 'name="default_language"' in form
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
    assert 'id="setup-needed"' not in client.get(reverse("workspace:queue")).content.decode()
    assert PortalSettings.load().default_language == "ro"
    anonymous = Client().get(reverse("login"))
    assert anonymous["Content-Language"] == "ro"
    client.force_login(cast.cristina)
    assert "+40 721 000 911" in client.get(reverse("portal:help")).content.decode()
    client.force_login(cast.agent_help)
    # Administrators only: the 403 page (a log-in redirect looped for a signed-in agent).
    assert client.get(reverse("workspace:setup")).status_code == 403


def test_an_agent_shares_a_request_with_any_address_who_then_gets_the_updates(client, cast):
    _site("ro")
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    url = reverse("workspace:participant_add", args=[ticket.reference])
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    assert 'name="email"' in page
    client.post(url, {"email": "not-an-address"})
    client.post(url, {"email": "Partner@Furnizor.example"})
    outsider = User.objects.get(email="partner@furnizor.example")
    assert ticket.participants.filter(user=outsider).exists()
    assert outsider.organization_id is None and not outsider.has_usable_password()
    _drain()
    OutboundEmail.objects.all().delete()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    _drain()
    [mail] = OutboundEmail.objects.filter(to=["partner@furnizor.example"])
    assert mail.language == "ro"  # nothing known of them: the site's
    client.force_login(cast.cristina)
    refused = client.post(url, {"email": "someone@else.example"})
    assert refused.status_code == 403  # the workspace is for the support team
    assert not User.objects.filter(email="someone@else.example").exists()


def test_an_agents_files_travel_with_the_mail_and_large_ones_as_links(
    cast, settings, tmp_path, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from supportal.notifications.services import mailer

    settings.MEDIA_ROOT = tmp_path
    ticket = cast.ticket()
    _drain()
    OutboundEmail.objects.all().delete()
    small = SimpleUploadedFile("raport.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    large = SimpleUploadedFile("log.txt", b"x" * 2048, content_type="text/plain")
    monkeypatch.setattr(mailer, "MAIL_ATTACHMENTS_MAX_BYTES", 1024)
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Vă trimit raportul.",
        attachments=[services.NewAttachment(file=small), services.NewAttachment(file=large)],
    )
    _drain()
    [mail] = OutboundEmail.objects.filter(to=[cast.cristina.email])
    assert [ref["name"] for ref in mail.attachments] == ["raport.pdf"]
    large_file = ticket.attachments.get(file_name="log.txt")
    assert f"/files/{large_file.pk}/" in mail.body_text and "log.txt" in mail.body_text
