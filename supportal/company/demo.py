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
    channels.team_name = channels.team_name or "Echipa Tecnet Helpdesk"
    channels.support_email = channels.support_email or "helpdesk@tecnet.example"
    channels.portal_url = channels.portal_url or ""
    channels.phone = channels.phone or "+40 21 231 4702"
    channels.working_hours = channels.working_hours or "Luni–Vineri 08:00–17:00"
    channels.footer_note = channels.footer_note or (
        "Vă rugăm să folosiți doar aceste canale pentru solicitări."
    )
    channels.save()
    line = SupportLine.objects.filter(pk=1).first() or SupportLine(pk=1)
    line.emergency_phone = line.emergency_phone or "+40 721 000 911"
    line.emergency_note = line.emergency_note or (
        "Pentru situații „site căzut”: în programul de lucru; numerele cunoscute 24/7."
    )
    line.save()
