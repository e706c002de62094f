"""What the account services share: address cleaning, links, the per-address mail cap."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.accounts import throttle
from supportal.accounts.languages import site_language
from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.core.mails import mail_queue

# At most one invitation, reset or sign-up mail per address in this time: a form posted in a
# loop must not flood someone's mailbox. Beyond it the page answers exactly the same.
MAIL_REPEAT_DURATION = timedelta(minutes=1)


COMPANY_ACCOUNT_DOMAIN = "companies.invalid"  # RFC 2606: never delivered


class _Discard(Exception):
    """Raised inside a savepoint to throw away work done only to take the same time."""


def _email_clean(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email") from None
    return email


def _language(*candidates: str) -> str:
    known = dict(settings.LANGUAGES)
    for candidate in candidates:
        if candidate and candidate in known:
            return candidate
    return site_language()


def _link(name: str, **kwargs: str) -> str:
    return settings.SUPPORTAL_BASE_URL + reverse(name, kwargs=kwargs)


def _mail_allowed(kind: str, email: str, *, ip: str | None = None) -> bool:
    """False if a mail of this kind went to this address moments ago, or the hourly caps per
    client address and overall are spent (``throttle.account_mail_budget_take``: the forms
    cannot spray mail at many addresses). Side effect: the cache."""
    digest = hashlib.sha256(f"{kind}:{email}".encode()).hexdigest()
    if not cache.add(
        f"supportal:account-mail:{digest}", 1, int(MAIL_REPEAT_DURATION.total_seconds())
    ):
        return False
    return throttle.account_mail_budget_take(kind, ip=ip)


def _queue_or_discard(
    *, send: bool, to: str, template: str, language: str, context: Mapping[str, object]
) -> None:
    """Queue the mail, or, when ``send`` is false, do the same work and throw it away.

    The answer to "forgot password" and "sign up" must not tell whether an address has an
    account, by its page or by its time: both paths render the mail and write the outbox row;
    the second rolls its savepoint back.
    """
    try:
        with transaction.atomic():
            mail_queue(to=to, template=template, language=language, context=context)
            if not send:
                raise _Discard
    except _Discard:
        pass
