"""Every change to accounts: invitations, passwords, sign-up, access requests, profiles,
sessions and company accounts. Views, the admin, the agent workspace and inbound mail call
these; each docstring states its side effects. Mail is only queued (``email_queue``) in the
caller's transaction; the worker sends it after commit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts import selectors, throttle
from supportal.accounts.languages import language_detect, recipient_language, site_language
from supportal.accounts.models import (
    AccessRequest,
    AccessRequestState,
    Organization,
    SignupMode,
    User,
    UserSession,
)
from supportal.accounts.tokens import (
    SIGNUP_LINK_MAX_AGE,
    invitation_tokens,
    password_reset_tokens,
    signup_token_make,
    uid_encode,
)
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.mail.outbox import email_queue

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


def _queue_or_discard(*, send: bool, **mail: object) -> None:
    """Queue the mail, or, when ``send`` is false, do the same work and throw it away.

    The answer to "forgot password" and "sign up" must not tell whether an address has an
    account, by its page or by its time: both paths render the mail and write the outbox row;
    the second rolls its savepoint back.
    """
    try:
        with transaction.atomic():
            email_queue(**mail)
            if not send:
                raise _Discard
    except _Discard:
        pass


def _may_invite(invited_by: User | None, organization: Organization | None) -> Organization | None:
    if invited_by is None or invited_by.is_agent or invited_by.is_superuser:
        return organization
    if invited_by.is_customer_admin and invited_by.organization_id is not None:
        if organization is not None and organization.pk != invited_by.organization_id:
            raise PermissionRefused(_("You may invite only people of your own company."))
        return invited_by.organization
    raise PermissionRefused(_("You may not invite people."))


def _invitation_queue(*, user: User, invited_by: User | None, language: str, now: datetime) -> None:
    if (
        invited_by is not None
        and invited_by.is_customer
        and not throttle.account_mail_budget_take("invitation", ip=f"user:{invited_by.pk}")
    ):
        # A customer admin inviting address after address: the hourly caps stop the mail.
        return
    portal = selectors.portal_settings_get()
    email_queue(
        to=user.email,
        template="invitation",
        language=_language(language, recipient_language(user)),
        context={
            "portal_name": portal.portal_name,
            "inviter_name": (invited_by.get_full_name() or invited_by.email) if invited_by else "",
            "email": user.email,
            "link": _link(
                "accounts:invitation",
                uidb64=uid_encode(user),
                token=invitation_tokens.make_token(user, now=now),
            ),
            "lifetime_days": portal.invitation_lifetime_days,
        },
    )
    user.invited_at = now
    user.invited_by = invited_by
    user.save(update_fields=["invited_at", "invited_by"])


def customer_invite(
    *,
    email: str,
    invited_by: User | None,
    organization: Organization | None = None,
    language: str = "",
    detected_language: str = "",
    now: datetime | None = None,
) -> User:
    """Register a customer, if new, and send the invitation ("X invited you to the portal",
    docs/requirements.md#accounts) with a single-use link to set a password. Returns the user.

    Called by agents (phone requests), inbound mail (a first message, ``invited_by=None``),
    customer admins (their own company only) and access-request approval. Idempotent: an
    existing user is never duplicated or moved to another company; a missing company or
    language is filled in (the company only by an agent, an administrator or the system: a
    customer admin's invitation never moves an existing account); no mail is sent if the
    person already has a password, is inactive
    or is a company account, or was invited so recently that that link still works.

    ``organization`` defaults to the company whose e-mail domain matches the address.
    ``language`` is the person's own choice (an agent's on the phone); ``detected_language``
    what their writing showed (docs/languages.md); the mail goes out in the language those,
    the company and the site give.
    Side effects: may create the user (unusable password) and queue one ``invitation`` mail;
    sets ``invited_at``/``invited_by``. Raises ``InvalidInput`` for a bad address and
    ``PermissionRefused`` when ``invited_by`` may not invite into that company.
    """
    email = _email_clean(email)
    now = now or timezone.now()
    organization = _may_invite(invited_by, organization or selectors.organization_for_email(email))
    language = language if language in dict(settings.LANGUAGES) else ""
    detected_language = detected_language if detected_language in dict(settings.LANGUAGES) else ""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=email).first()
        if user is None:
            try:
                # A savepoint: a concurrent invitation of the same address may win the insert.
                with transaction.atomic():
                    user = User.objects.create_user(
                        email,
                        password=None,
                        organization=organization,
                        language=language,
                        detected_language=detected_language,
                    )
            except IntegrityError:
                user = User.objects.select_for_update().get(email=email)
        changed = []
        # An existing account joins a company only by the support team's hand (or the domain
        # mapping an administrator set up): a customer admin never takes over an account that
        # is not already theirs to manage (docs/security.md).
        may_move = invited_by is None or invited_by.is_agent or invited_by.is_superuser
        if (
            user.organization_id is None
            and organization is not None
            and user.is_customer
            and may_move
        ):
            user.organization = organization
            changed.append("organization")
        if not user.language and language:
            user.language = language
            changed.append("language")
        if not user.detected_language and detected_language:
            user.detected_language = detected_language
            changed.append("detected_language")
        if changed:
            user.save(update_fields=changed)
        if user.has_usable_password() or not user.is_active or user.is_company_account:
            return user
        if user.invited_at and now - user.invited_at < invitation_tokens.lifetime():
            return user  # the link already sent still works
        _invitation_queue(user=user, invited_by=invited_by, language=language, now=now)
    return user


def user_language_learn(*, user: User, text: str = "", browser: str = "") -> None:
    """Remember what the portal learnt of a person's language without asking: the language of
    ``text`` they wrote (a request, a mail) and their ``browser``'s. Only the first of each
    is kept, and nothing when the guess is unsure. Side effect: updates the user row."""
    changed = []
    if text and not user.language and not user.detected_language:
        found = language_detect(text)
        if found:
            user.detected_language = found
            changed.append("detected_language")
    if browser and not user.browser_language and browser in dict(settings.LANGUAGES):
        user.browser_language = browser
        changed.append("browser_language")
    if changed and user.pk is not None:
        User.objects.filter(pk=user.pk).update(**{name: getattr(user, name) for name in changed})


def _password_reset_mail(
    *,
    user: User | None,
    email: str,
    language: str,
    reason: str,
    now: datetime,
    ip: str | None = None,
) -> None:
    """Queue a reset mail to ``user``, or (``user`` None) do the same work and discard it."""
    send = user is not None and _mail_allowed("password_reset", email, ip=ip)
    target = user
    if target is None:
        target = User(email=email)  # never saved
        target.set_unusable_password()
    _queue_or_discard(
        send=send,
        to=email,
        template="password_reset",
        language=_language(language, target.language),
        context={
            "portal_name": selectors.portal_settings_get().portal_name,
            "email": email,
            "link": _link(
                "accounts:password_reset",
                uidb64=uid_encode(target),
                token=password_reset_tokens.make_token(target, now=now),
            ),
            "lifetime_hours": int(password_reset_tokens.lifetime().total_seconds() // 3600),
            "is_activation": not target.has_usable_password(),
            "reason": reason,
        },
    )


def password_reset_request(
    *, email: str, language: str = "", ip: str | None = None, now: datetime | None = None
) -> None:
    """ "Forgot your password?": mail a single-use link to set a new password, if the address
    belongs to an active user (company accounts excepted). A customer who has only written by
    e-mail activates their account this way (docs/requirements.md#accounts, A5).

    Returns nothing and raises nothing for an unknown address: callers show the same answer
    whatever happened. Side effects: at most one ``password_reset`` mail per address per
    MAIL_REPEAT_DURATION.
    """
    now = now or timezone.now()
    try:
        email = _email_clean(email)
    except InvalidInput:
        return
    user = User.objects.filter(email=email, is_active=True, is_company_account=False).first()
    with transaction.atomic():
        _password_reset_mail(
            user=user, email=email, language=language, reason="forgot", now=now, ip=ip
        )


def link_renew(
    *, user: User, language: str = "", ip: str | None = None, now: datetime | None = None
) -> None:
    """Send a fresh link to someone whose invitation or reset link expired: a new invitation
    if they never set a password, else a password-reset link. Side effects: one mail (at most
    one per address per MAIL_REPEAT_DURATION)."""
    now = now or timezone.now()
    if not user.is_active or user.is_company_account:
        return
    with transaction.atomic():
        if user.has_usable_password():
            _password_reset_mail(
                user=user, email=user.email, language=language, reason="renew", now=now, ip=ip
            )
        elif _mail_allowed("invitation", user.email, ip=ip):
            _invitation_queue(user=user, invited_by=user.invited_by, language=language, now=now)


def password_set(*, user: User, password: str) -> User:
    """Set a password from an invitation or reset link (the link's token is then spent) and
    end every session of the user. Raises ``ValidationError`` naming each broken rule.
    Side effects: saves the password; deletes the user's sessions."""
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions_end(user=user)
    return user


def password_change(*, user: User, password: str, keep_session_key: str | None) -> User:
    """Change one's own password; every other session ends (``keep_session_key`` stays; the
    caller refreshes its session hash). Raises ``ValidationError`` naming each broken rule."""
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions_end(user=user, keep_session_key=keep_session_key)
    return user


def signup_request(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    registration_number: str = "",
    message: str = "",
    language: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> None:
    """Start a sign-up: mail the address a link that confirms it (sign-up modes open, known
    companies and request access). The page that calls this answers the same whatever happens.

    The mail says what comes next: a link to continue; or, for an address that already has an
    account, a password-reset link; or, in "known companies" mode for an unknown domain, that
    sign-up is not possible for that address. Raises ``PermissionRefused`` when sign-up is
    closed and ``InvalidInput`` for a bad address. Side effects: at most one mail per address
    per MAIL_REPEAT_DURATION; no row is written before the address is confirmed.
    """
    now = now or timezone.now()
    portal = selectors.portal_settings_get()
    if portal.signup_mode == SignupMode.CLOSED:
        raise PermissionRefused(_("Sign-up is closed: accounts are created by invitation."))
    email = _email_clean(email)
    language = _language(language)
    user = User.objects.filter(email=email).first()
    with transaction.atomic():
        if user is not None:
            active = user.is_active and not user.is_company_account
            _password_reset_mail(
                user=user if active else None,
                email=email,
                language=language,
                reason="signup",
                now=now,
                ip=ip,
            )
            return
        is_refused = (
            portal.signup_mode == SignupMode.DOMAINS
            and selectors.organization_for_email(email) is None
        )
        data = {
            "email": email,
            "first_name": first_name.strip()[:150],
            "last_name": last_name.strip()[:150],
            "language": language,
        }
        if portal.signup_mode == SignupMode.REQUEST:
            data.update(
                company_name=company_name.strip()[:200],
                registration_number=registration_number.strip()[:40],
                message=message.strip()[:1000],
            )
        _queue_or_discard(
            send=_mail_allowed("signup", email, ip=ip),
            to=email,
            template="signup_verify",
            language=language,
            context={
                "portal_name": portal.portal_name,
                "email": email,
                "is_refused": is_refused,
                "is_request": portal.signup_mode == SignupMode.REQUEST,
                "link": ""
                if is_refused
                else _link("accounts:signup_verify", token=signup_token_make(data, now=now)),
                "lifetime_hours": int(SIGNUP_LINK_MAX_AGE.total_seconds() // 3600),
            },
        )


def signup_complete(*, data: dict, password: str) -> User:
    """Create the account of a confirmed sign-up (modes open and known companies) with its
    password. ``data`` comes from a valid sign-up link. Raises ``PermissionRefused`` if the
    mode no longer allows it, ``InvalidInput`` (code ``exists``) if the address has an account
    by now (the link was used), ``ValidationError`` naming each broken password rule.
    Side effects: creates the user, in the company of the address's domain if one matches."""
    portal = selectors.portal_settings_get()
    email = _email_clean(data.get("email", ""))
    organization = selectors.organization_for_email(email)
    if portal.signup_mode not in (SignupMode.OPEN, SignupMode.DOMAINS) or (
        portal.signup_mode == SignupMode.DOMAINS and organization is None
    ):
        raise PermissionRefused(_("Sign-up is not possible for this address."))
    user = User(
        email=email,
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        language=_language(data.get("language", "")),
        organization=organization,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvalidInput(
            _("This address already has an account. Log in, or use “Forgot your password?”."),
            code="exists",
        ) from None
    return user


def access_request_create(*, data: dict) -> AccessRequest:
    """Record a confirmed request for access (mode "request access"); an agent decides.
    Idempotent: a request already waiting for the address is returned unchanged.
    Side effects: creates one AccessRequest."""
    email = _email_clean(data.get("email", ""))
    with transaction.atomic():
        pending = selectors.access_request_list_pending().filter(email=email).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                return AccessRequest.objects.create(
                    email=email,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    company_name=data.get("company_name", ""),
                    registration_number=data.get("registration_number", ""),
                    message=data.get("message", ""),
                    language=data.get("language", ""),
                    organization=selectors.organization_for_email(email),
                )
        except IntegrityError:  # the same link confirmed twice at once
            return selectors.access_request_list_pending().get(email=email)


def _decide(access_request: AccessRequest, decided_by: User) -> None:
    if not (decided_by.is_agent or decided_by.is_superuser):
        raise PermissionRefused(_("Only the support team decides access requests."))
    if access_request.state != AccessRequestState.PENDING:
        raise InvalidInput(_("This request has already been decided."), code="decided")


def access_request_approve(
    *,
    access_request: AccessRequest,
    decided_by: User,
    organization: Organization | None = None,
    now: datetime | None = None,
) -> User:
    """Approve a request for access: the person is invited (``customer_invite``) into
    ``organization`` (default: the request's, else the address's domain).
    Side effects: those of ``customer_invite``; the request is marked approved."""
    now = now or timezone.now()
    with transaction.atomic():
        access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        _decide(access_request, decided_by)
        organization = organization or access_request.organization
        user = customer_invite(
            email=access_request.email,
            invited_by=decided_by,
            organization=organization,
            language=access_request.language,
            now=now,
        )
        if not user.first_name and not user.last_name:
            user.first_name = access_request.first_name
            user.last_name = access_request.last_name
            user.save(update_fields=["first_name", "last_name"])
        access_request.state = AccessRequestState.APPROVED
        access_request.organization = user.organization
        access_request.decided_by = decided_by
        access_request.decided_at = now
        access_request.save(update_fields=["state", "organization", "decided_by", "decided_at"])
    return user


def access_request_reject(
    *, access_request: AccessRequest, decided_by: User, now: datetime | None = None
) -> None:
    """Reject a request for access. Side effects: the request is marked rejected; no mail."""
    with transaction.atomic():
        access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        _decide(access_request, decided_by)
        access_request.state = AccessRequestState.REJECTED
        access_request.decided_by = decided_by
        access_request.decided_at = now or timezone.now()
        access_request.save(update_fields=["state", "decided_by", "decided_at"])


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "language",
    "time_zone",
    "has_email_notifications",
)


def profile_update(*, user: User, **fields: object) -> User:
    """Change one's own profile (PROFILE_FIELDS only). Raises ``InvalidInput`` for a bad value.
    Side effects: saves those fields."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    for name, value in fields.items():
        try:
            cleaned = User._meta.get_field(name).clean(value, user)
        except ValidationError as exc:
            raise InvalidInput(exc.messages[0], field=name) from None
        setattr(user, name, cleaned)
    user.save(update_fields=list(fields))
    return user


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_record(*, user: User, session_key: str, ip: str | None, user_agent: str) -> None:
    """Remember a log-in so the user can see and end it. Side effects: one UserSession row;
    the user's rows whose sessions are gone are deleted."""
    UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "ip_address": ip, "user_agent": user_agent[:300]},
    )
    alive = {row.session_key for row in selectors.session_list_for_user(user)}
    UserSession.objects.filter(user=user).exclude(session_key__in=alive).delete()


def session_forget(*, session_key: str) -> None:
    """The session ended by log-out. Side effects: deletes its UserSession row."""
    UserSession.objects.filter(session_key=session_key).delete()


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """ "Log out everywhere": end every session of ``user`` but ``keep_session_key``.
    Returns how many. Side effects: deletes those sessions from the session store (database
    and cache) and their UserSession rows."""
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    store = _session_store()
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


def session_end(*, user: User, session_id: int, keep_session_key: str | None = None) -> None:
    """End one of one's own other sessions (the current one ends by logging out). Raises
    ``NotFound`` for anyone else's, and for ``keep_session_key``'s.
    Side effects: deletes that session and its row."""
    row = UserSession.objects.filter(user=user, pk=session_id).first()
    if row is None or row.session_key == keep_session_key:
        raise NotFound(_("This session does not exist."))
    _session_store()(session_key=row.session_key).delete()
    row.delete()


def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """A session got a new key (Django cycles it when the password changes): keep its row.
    Side effects: updates that UserSession row."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def company_account_ensure(*, organization: Organization) -> User:
    """The shared account a company logs in to with its registration number, created (with
    an unusable password: an administrator sets it) if missing. Side effects: may create it."""
    existing = User.objects.filter(organization=organization, is_company_account=True).first()
    if existing is not None:
        return existing
    return User.objects.create_user(
        f"company-{organization.pk}@{COMPANY_ACCOUNT_DOMAIN}",
        password=None,
        organization=organization,
        is_company_account=True,
        first_name=organization.name[:150],
    )


def customer_register(
    *,
    email: str,
    invited_by: User | None,
    is_invited: bool = True,
    organization: Organization | None = None,
    new_company: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    language: str = "",
    detected_language: str = "",
    now: datetime | None = None,
) -> User:
    """The one way a customer account comes to be: an agent registering a caller, inbound mail
    from a new sender, and (through ``customer_invite``) every invitation.

    ``new_company`` names a company to file the customer under, found by name or created.
    ``is_invited=False`` registers without the invitation mail (inbound mail from a sender no
    known company vouches for). Names and phone fill only what is still blank; ``language`` and
    ``detected_language`` are as for ``customer_invite`` (docs/languages.md). Side effects:
    those of ``customer_invite`` when invited; may create the Organization and the User.
    """
    new_company = (new_company or "").strip()
    with transaction.atomic():
        if new_company:
            organization = Organization.objects.filter(name__iexact=new_company).first()
            if organization is None:
                organization = Organization.objects.create(name=new_company[:200])
        if is_invited:
            user = customer_invite(
                email=email,
                invited_by=invited_by,
                organization=organization,
                language=language,
                detected_language=detected_language,
                now=now,
            )
        else:
            # As the mail arrived: an address our mail parser accepted is kept as it is.
            email = email.strip().lower()
            user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(
                email,
                password=None,
                organization=organization,
                language=language if language in dict(settings.LANGUAGES) else "",
                detected_language=(
                    detected_language if detected_language in dict(settings.LANGUAGES) else ""
                ),
            )
        names = {
            "first_name": (first_name or "").strip()[:150],
            "last_name": (last_name or "").strip()[:150],
            "phone": (phone or "").strip()[:40],
        }
        changed = [name for name, value in names.items() if value and not getattr(user, name)]
        for name in changed:
            setattr(user, name, names[name])
        if changed:
            user.save(update_fields=changed)
    return user
