"""Signed one-click unsubscribe links: they name a contact and a list, and never expire
(a mail read months later must still unsubscribe)."""

from __future__ import annotations

from django.core import signing

SALT = "supportal.company.unsubscribe"


def unsubscribe_token_make(*, contact_id: int, newsletter_id: int) -> str:
    return signing.dumps([contact_id, newsletter_id], salt=SALT, compress=False)


def unsubscribe_token_read(token: str) -> tuple[int, int]:
    """Raises ``signing.BadSignature`` for an altered or foreign token."""
    contact_id, newsletter_id = signing.loads(token, salt=SALT)
    return int(contact_id), int(newsletter_id)
