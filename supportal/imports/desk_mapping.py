"""Which desk and request type an imported request goes into (docs/import.md, "Desks and
request types").

A source's groups — Zammad's groups, osTicket's departments, django-helpdesk's queues — become
desks: ``--desk-map "SOURCE=DESKKEY"`` (repeatable) sends the requests of one group into that
desk; a group with no mapping goes into the ``--desk``. A source's request types (osTicket's
help topics) become the desk's request type of the same name, or the one ``--type-map
"SOURCE=TYPE"`` names; none when the desk has no such type. The dry run's report lists each
group and type with what it became and how many requests have it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.desks.models import Desk, DeskMembership, DeskRole, RequestType


def arguments_add(parser: CommandParser) -> None:
    """The command's ``--desk-map`` and ``--type-map`` options."""
    parser.add_argument(
        "--desk-map",
        action="append",
        default=[],
        metavar="SOURCE=DESKKEY",
        help="Put the requests of a source group (Zammad group, osTicket department, "
        "django-helpdesk queue) into the desk with that key (repeatable); the others go into "
        "--desk.",
    )
    parser.add_argument(
        "--type-map",
        action="append",
        default=[],
        metavar="SOURCE=TYPE",
        help="Give the requests of a source request type (osTicket help topic) the desk's "
        "request type of that name (repeatable); by default the type of the same name.",
    )


def _pairs(values: list[str], option: str, example: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, target = value.rpartition("=")
        if not sep or not name.strip() or not target.strip():
            raise InvalidInput(
                _("“%(value)s”: write %(example)s.") % {"value": value, "example": example},
                field=option,
            )
        pairs.append((name.strip(), target.strip()))
    return pairs


def desk_map_parse(values: list[str]) -> dict[str, Desk]:
    """``SOURCE=DESKKEY`` values → the desks; a key no desk has is an error naming the keys."""
    mapping = {}
    for name, key in _pairs(values, "desk_map", "SOURCE=DESKKEY"):
        desk = Desk.objects.filter(key=key.upper()).first()
        if desk is None:
            keys = ", ".join(Desk.objects.order_by("key").values_list("key", flat=True))
            raise InvalidInput(
                _("There is no desk %(key)s (desks: %(keys)s).") % {"key": key, "keys": keys},
                field="desk_map",
            )
        mapping[name.casefold()] = desk
    return mapping


def type_map_parse(values: list[str]) -> dict[str, str]:
    """``SOURCE=TYPE`` values (TYPE a request type's name in the request's desk)."""
    return {name.casefold(): target for name, target in _pairs(values, "type_map", "SOURCE=TYPE")}


@dataclass
class DeskMapping:
    """The desk of each source group and the request type of each source type, with what
    was seen (for the report)."""

    default: Desk
    desks: dict[str, Desk] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    desks_seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    types_seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    _types: dict[tuple[int, str], RequestType | None] = field(default_factory=dict)
    _members: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def parse(cls, default: Desk, desk_map: list[str], type_map: list[str]) -> DeskMapping:
        return cls(default=default, desks=desk_map_parse(desk_map), types=type_map_parse(type_map))

    def desk_for(self, group: str) -> Desk:
        desk = self.desks.get((group or "").casefold(), self.default)
        if group:
            self.desks_seen[(group, desk.key)] += 1
        return desk

    def request_type_for(self, name: str, desk: Desk) -> RequestType | None:
        """The desk's request type ``--type-map`` names, else the one of the same name."""
        if not name:
            return None
        key = (desk.pk, name.casefold())
        if key not in self._types:
            wanted = self.types.get(name.casefold(), name)
            self._types[key] = RequestType.objects.filter(
                desk=desk, name__iexact=wanted, is_active=True
            ).first()
        found = self._types[key]
        self.types_seen[(name, found.name if found else "")] += 1
        return found

    def member_ensure(self, desk: Desk, user: User) -> None:
        """An agent who worked on a request in a mapped desk becomes that desk's agent (the
        ``--desk``'s agents are made members as they are imported)."""
        if desk.pk == self.default.pk or not user.is_agent or (desk.pk, user.pk) in self._members:
            return
        DeskMembership.objects.get_or_create(
            desk=desk, user=user, defaults={"role": DeskRole.AGENT}
        )
        self._members.add((desk.pk, user.pk))

    def lines(self) -> list[str]:
        """The report's part: each group and type with what it became and how often."""
        out = []
        if self.desks_seen:
            out.append(_("Desks (source group → desk; change with --desk-map SOURCE=DESKKEY):"))
            out.extend(f"  {g} → {key}: {n}" for (g, key), n in sorted(self.desks_seen.items()))
        if self.types_seen:
            out.append(_("Request types (source → Supportal; change with --type-map SOURCE=TYPE):"))
            for (name, target), n in sorted(self.types_seen.items()):
                out.append(f"  {name} → {target or _('not mapped, none')}: {n}")
        return out
