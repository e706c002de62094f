"""Small reads for pages owned by other apps (the request pages), so their views stay as
they are: ``{% load notification_tags %}``."""

from __future__ import annotations

from django import template

from supportal.notifications import selectors

register = template.Library()


@register.simple_tag
def ticket_held_emails(ticket, user) -> list:
    """``[(email, why)]``: this request's mail kept back for a held address (agents only)."""
    return selectors.held_email_list_for_ticket(user, ticket)
