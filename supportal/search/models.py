"""The search document of each ticket: the text the full-text engines index.

The engine structures themselves are not Django models: on SQLite an external-content FTS5
table with triggers, on PostgreSQL GIN expression indexes. Both are created by
``migrations/0001_initial.py``; see docs/search.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """Derived data, rebuilt from the ticket by ``ticket_index_update``; never edited by hand.

    Both texts hold normalised words (see ``supportal.search.text``), not the original prose.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    # Seen by everyone who may see the ticket: reference, summary, requester, details,
    # resolution, public comments.
    public_text = models.TextField(_("public text"), blank=True)
    # Agents only: internal notes.
    internal_text = models.TextField(_("internal text"), blank=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return str(self.ticket_id)
