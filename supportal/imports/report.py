"""What an import did, or would do: counts per kind, the status mapping, what it skipped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from supportal.tickets.workflow import Status

# At most this many problems are kept word for word; the rest are only counted.
PROBLEMS_KEPT = 50

# The report's words, translated; a kind a source adds without a name here shows as written.
KINDS = {
    "company": pgettext_lazy("import report", "company"),
    "person": pgettext_lazy("import report", "person"),
    "request": pgettext_lazy("import report", "request"),
    "comment": pgettext_lazy("import report", "comment"),
    "attachment": pgettext_lazy("import report", "attachment"),
    "status change": pgettext_lazy("import report", "status change"),
    "rating": pgettext_lazy("import report", "rating"),
}
OUTCOMES = {
    "created": pgettext_lazy("import report", "created"),
    "mapped": pgettext_lazy("import report", "mapped"),
    "updated": pgettext_lazy("import report", "updated"),
    "skipped": pgettext_lazy("import report", "skipped"),
    "failed": pgettext_lazy("import report", "failed"),
}


@dataclass
class ImportReport:
    """Counts by (kind, outcome): ``created``, ``mapped`` (an existing object stands for it),
    ``skipped`` (imported before, unchanged), ``updated`` (imported before; what is new was
    added), ``failed``. ``statuses`` counts each source status with what it became."""

    is_dry_run: bool = False
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    unmapped_statuses: Counter[str] = field(default_factory=Counter)
    priorities: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The source's groups → desk keys, request types → ours ("" not mapped), and the custom
    # fields by (desk key, label) → (kind, "created" or "mapped") (imports/mapping.py).
    desks: Counter[tuple[str, str]] = field(default_factory=Counter)
    request_types: Counter[tuple[str, str]] = field(default_factory=Counter)
    custom_fields: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    renumbered: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    attachment_bytes: int = 0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[(kind, outcome)] += n

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(text)

    def status_seen(self, source_status: str, target: Status | None) -> None:
        if target is None:
            self.unmapped_statuses[source_status] += 1
        else:
            self.statuses[(source_status, str(target))] += 1

    def priority_seen(self, source_priority: str, target: str | None) -> None:
        self.priorities[(source_priority, target or "")] += 1

    def lines(self) -> list[str]:
        """The report as the command prints it."""
        title = _("Dry run: nothing was written.") if self.is_dry_run else _("Import finished.")
        out = [title]
        kinds = sorted({kind for kind, _outcome in self.counts})
        for kind in kinds:
            parts = [
                f"{label} {self.counts[(kind, outcome)]}"
                for outcome, label in OUTCOMES.items()
                if self.counts[(kind, outcome)]
            ]
            out.append(f"  {KINDS.get(kind, kind)}: " + ", ".join(parts))
        if self.attachment_bytes:
            out.append(_("  files: %(mb).1f MB") % {"mb": self.attachment_bytes / 1_000_000})
        if self.statuses or self.unmapped_statuses:
            out.append(_("Statuses (source → Supportal; change with --status NAME=STATUS):"))
            for (source, target), n in sorted(self.statuses.items()):
                out.append(f"  {source} → {Status(target).label} ({target}): {n}")
            for source, n in sorted(self.unmapped_statuses.items()):
                out.append(
                    _("  %(source)s → not mapped, kept as waiting for support: %(n)d")
                    % {"source": source, "n": n}
                )
        if self.priorities:
            out.append(_("Priorities (source → Supportal; change with --priority NAME=PRIORITY):"))
            for (source, target), n in sorted(self.priorities.items()):
                shown = target or _("not mapped, the desk's default")
                out.append(f"  {source} → {shown}: {n}")
        out.extend(self._mapping_lines())
        if self.renumbered:
            out.append(_("References taken by other requests, renumbered:"))
            out.extend(f"  {old} → {new}" for old, new in self.renumbered[:PROBLEMS_KEPT])
        if self.problem_count:
            out.append(_("Problems (%(n)d):") % {"n": self.problem_count})
            out.extend(f"  {text}" for text in self.problems)
        return out

    def _mapping_lines(self) -> list[str]:
        """The groups, request types and custom fields: what each became."""
        out = []
        if self.desks:
            out.append(_("Groups (source → desk; change with --desk-map GROUP=DESK):"))
            for (source, key), n in sorted(self.desks.items()):
                out.append(f"  {source or _('(none)')} → {key}: {n}")
        if self.request_types:
            out.append(_("Request types (source → Supportal; change with --type-map NAME=TYPE):"))
            for (source, target), n in sorted(self.request_types.items()):
                out.append(f"  {source} → {target or _('not mapped, none')}: {n}")
        if self.custom_fields:
            outcomes = Counter(outcome for _kind, outcome in self.custom_fields.values())
            counts = {"created": outcomes["created"], "mapped": outcomes["mapped"]}
            if self.is_dry_run:
                out.append(_("Custom fields: %(created)d to create, %(mapped)d mapped") % counts)
            else:
                out.append(_("Custom fields: %(created)d created, %(mapped)d mapped") % counts)
            made = _("to create") if self.is_dry_run else OUTCOMES["created"]
            for (key, label), (kind, outcome) in sorted(self.custom_fields.items()):
                shown = made if outcome == "created" else OUTCOMES["mapped"]
                out.append(f"  {key}: {label} ({kind}) → {shown}")
        return out
