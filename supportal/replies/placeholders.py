"""The placeholders of canned replies: what each is filled with, and the check that a reply
names only known ones (docs/workspace.md#canned-replies).

Values are read lazily and once per ticket page: a reply that does not use ``{contract}`` costs
no query for it, and ten replies that do cost one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from supportal.accounts.languages import recipient_language, recipient_time_zone
from supportal.accounts.models import Contract, User
from supportal.sla.selectors import next_deadline
from supportal.tickets.models import Ticket

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

PLACEHOLDERS = {
    "requester_name": _("the customer's full name"),
    "first_name": _("the customer's first name, as addressed (Czech: the vocative, Jano)"),
    "company": _("the customer's company"),
    "contract": _("the company's contracts in force for the request's product"),
    "sla_deadline": _("the next SLA deadline, in the customer's time zone"),
    "reference": _("the request's reference"),
    "agent_name": _("your name"),
}


def placeholders_unknown(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that are not placeholders, in order, once each."""
    return list(dict.fromkeys(n for n in PLACEHOLDER.findall(text or "") if n not in PLACEHOLDERS))


# Czech first names are addressed in the vocative (Jana → Jano, Petr → Petře). The common
# endings, longest first; a name no rule fits is left as it is, never mangled.
_CZECH_VOCATIVE = (
    ("ie", "ie"),
    ("ek", "ku"),
    ("el", "le"),
    ("ec", "če"),
    ("a", "o"),
    ("r", "ře"),
    ("š", "ši"),
    ("ž", "ži"),
    ("č", "či"),
    ("ř", "ři"),
    ("j", "ji"),
    ("k", "ku"),
    ("h", "hu"),
    ("g", "gu"),
    ("n", "ne"),
    ("m", "me"),
    ("d", "de"),
    ("t", "te"),
    ("v", "ve"),
    ("l", "le"),
    ("s", "si"),
    ("x", "xi"),
    ("z", "zi"),
    ("b", "be"),
    ("p", "pe"),
    ("f", "fe"),
)


def first_name_addressed(first_name: str, language: str) -> str:
    """The first name as a greeting uses it in ``language``: Czech takes the vocative."""
    name = (first_name or "").strip()
    if language != "cs" or not name:
        return name
    lower = name.lower()
    for ending, replacement in _CZECH_VOCATIVE:
        if lower.endswith(ending):
            stem = name[: len(name) - len(ending)]
            if name.endswith(ending.upper()):
                replacement = replacement.upper()
            return stem + replacement
    return name


class PlaceholderValues:
    """The values of one ticket's placeholders for one agent, each read when first used."""

    def __init__(self, *, ticket: Ticket, agent: User) -> None:
        self.ticket = ticket
        self.agent = agent
        self.language = recipient_language(ticket.requester, desk=ticket.desk)
        self._cache: dict[str, str] = {}
        self._readers: dict[str, Callable[[], str]] = {
            "requester_name": lambda: ticket.requester.get_full_name() or ticket.requester.email,
            "first_name": lambda: first_name_addressed(
                ticket.requester.first_name or ticket.requester.get_full_name(), self.language
            ),
            "company": lambda: ticket.organization.name if ticket.organization else "",
            "contract": self._contract,
            "sla_deadline": self._sla_deadline,
            "reference": lambda: ticket.reference,
            "agent_name": lambda: agent.get_full_name() or agent.email,
        }

    def get(self, name: str) -> str | None:
        if name not in self._readers:
            return None
        if name not in self._cache:
            self._cache[name] = self._readers[name]()
        return self._cache[name]

    def _contract(self) -> str:
        if not self.ticket.organization_id:
            return ""
        contracts = Contract.objects.in_force(timezone.localdate()).filter(
            organization_id=self.ticket.organization_id
        )
        if self.ticket.product_id:
            contracts = contracts.filter(
                Q(product_id=self.ticket.product_id) | Q(product__isnull=True)
            )
        return ", ".join(contracts.order_by("name").values_list("name", flat=True).distinct())

    def _sla_deadline(self) -> str:
        deadline = (
            Ticket.objects.filter(pk=self.ticket.pk)
            .annotate(deadline=next_deadline())
            .values_list("deadline", flat=True)
            .first()
        )
        if deadline is None:
            return ""
        zone = ZoneInfo(recipient_time_zone(self.ticket.requester, desk=self.ticket.desk))
        with translation.override(self.language):
            return formats.date_format(
                timezone.localtime(deadline, zone), "SHORT_DATETIME_FORMAT", use_l10n=True
            )


def placeholders_fill(text: str, values: PlaceholderValues) -> str:
    """``text`` with its known placeholders filled; unknown braces are left as they are."""

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else value

    return PLACEHOLDER.sub(fill, text)
