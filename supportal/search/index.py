"""The search index of tickets. (Being written: see the search helper's task.)"""

from __future__ import annotations


def ticket_index_update(ticket_id: int) -> None:
    """Rebuild the search document of one ticket, inside the caller's transaction."""
    # Placeholder until the search engines land in this same change set.
    return None
