"""The demo's site-wide settings: the site's language and the support line that every mail's
footer and the portal show (docs/languages.md). ``manage.py load_demo`` fills them before the
demo's requests are created, so their mails go out in Romanian."""

from __future__ import annotations

from supportal.accounts.languages import site_locale_forget
from supportal.accounts.models import PortalSettings
from supportal.company.models import SupportLine
from supportal.notifications.models import NotificationSettings


def support_line_fill() -> None:
    """The site's language and the support line of the mails' footer (docs/languages.md):
    Romanian, the e-mail address, portal, telephone, hours and the emergency number."""
    site = PortalSettings.load()
    site.portal_name = "Tecnet Helpdesk"
    site.default_language = "ro"
    site.default_time_zone = "Europe/Bucharest"
    site.save()
    site_locale_forget()
    channels = NotificationSettings.load()
    _fill(
        channels,
        "team_name",
        en="Tecnet Helpdesk team",
        ro="Echipa Tecnet Helpdesk",
        cs="Tým Tecnet Helpdesk",
    )
    channels.support_email = channels.support_email or "helpdesk@tecnet.example"
    channels.portal_url = channels.portal_url or ""
    channels.phone = channels.phone or "+40 21 231 4702"
    _fill(
        channels,
        "working_hours",
        en="Monday–Friday 08:00–17:00",
        ro="Luni–Vineri 08:00–17:00",
        cs="Pondělí–pátek 08:00–17:00",
    )
    _fill(
        channels,
        "footer_note",
        en="Please send requests only through these channels.",
        ro="Vă rugăm să folosiți doar aceste canale pentru solicitări.",
        cs="Požadavky prosím posílejte pouze těmito kanály.",
    )
    channels.save()
    line = SupportLine.objects.filter(pk=1).first() or SupportLine(pk=1)
    line.emergency_phone = line.emergency_phone or "+40 721 000 911"
    _fill(
        line,
        "emergency_note",
        en='For "site down" situations: in working hours; the known mobile numbers 24/7.',
        ro="Pentru situații „site căzut”: în programul de lucru; numerele cunoscute 24/7.",
        cs="Při výpadku webu: v pracovní době; známá mobilní čísla nonstop.",
    )
    line.save()


def _fill(row: object, field: str, **texts: str) -> None:
    """Each language's text where the administrator has not typed one (docs/languages.md#names)."""
    for language, text in texts.items():
        column = f"{field}_{language}"
        if not getattr(row, column):
            setattr(row, column, text)
