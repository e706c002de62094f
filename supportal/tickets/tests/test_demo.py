from django.core.management import call_command
from django.utils import translation

from supportal.accounts.models import User
from supportal.tickets.models import Event, Ticket
from supportal.tickets.workflow import Status


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Ticket.objects.count(), Event.objects.count()


def test_demo_tells_the_reference_story(db):
    call_command("load_demo", verbosity=0)
    ticket = Ticket.objects.get(reference="HELP-161")
    assert ticket.summary == "Cristina SRL"
    assert ticket.details == "Am parola blocata, rog deblocare"
    assert ticket.submission_method == "phone"
    assert ticket.requester.email == "cristina.tanasescu@example.com"
    assert ticket.custom_fields == {"retailer": "Profi", "tecnet_web_user": "cristina.tanasescu"}
    assert ticket.assignee.get_full_name() == "Bogdan Moraru"
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)


def test_the_demos_names_are_in_three_languages(db):
    """Every name an administrator would type reads in Czech, Romanian and English
    (docs/languages.md#names)."""
    call_command("load_demo", verbosity=0)
    ticket = Ticket.objects.select_related("request_type", "priority").get(reference="HELP-161")
    from supportal.company.selectors import support_hours
    from supportal.desks.models import CustomField

    seen = {}
    for language in ("en", "ro", "cs"):
        with translation.override(language):
            retailer = CustomField.objects.get(name="retailer")
            line = support_hours()
            seen[language] = (
                ticket.request_type.name,
                ticket.priority.name,
                retailer.label,
                line.working_hours,
                line.emergency_note,
            )
    assert seen["en"][:3] == ("Question", "High", "Retailer")
    assert seen["ro"][:3] == ("Întrebare", "Ridicată", "Comerciant")
    assert seen["cs"][:3] == ("Dotaz", "Vysoká", "Obchodní řetězec")
    assert seen["ro"][3].startswith("Luni") and seen["cs"][3].startswith("Pondělí")
    assert len({seen[language][4] for language in seen}) == 3


def test_loading_the_demo_twice_changes_nothing(db, capsys):
    call_command("load_demo")
    before = _counts()
    call_command("load_demo")
    assert _counts() == before
    assert "already loaded; nothing changed" in capsys.readouterr().out


def test_the_demo_site_is_romanian_with_english_and_czech_customers(db):
    """docs/languages.md, "The demo": nobody sets a language by hand for these to hold."""
    from supportal.accounts.languages import recipient_language
    from supportal.accounts.models import PortalSettings

    call_command("load_demo", verbosity=0)
    site = PortalSettings.load()
    assert (site.default_language, site.default_time_zone) == ("ro", "Europe/Bucharest")
    readers = {
        email: recipient_language(User.objects.get(email=email))
        for email in (
            "cristina.tanasescu@example.com",
            "john.miller@example.com",
            "jana.novakova@novak.example",
        )
    }
    assert readers == {
        "cristina.tanasescu@example.com": "ro",
        "john.miller@example.com": "en",
        "jana.novakova@novak.example": "cs",
    }
