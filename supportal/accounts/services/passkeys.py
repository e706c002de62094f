"""Passkeys and security keys (WebAuthn, the ``webauthn`` package): registering one as a second
factor, and using one for the second step (docs/security.md#two-factor-sign-in). The challenge
of each ceremony lives in the caller's session; the relying party is the site's own host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from supportal import audit
from supportal.accounts import throttle
from supportal.accounts.models import Passkey, RecoveryCode, User
from supportal.accounts.services import twofactor
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host name, without port
    name: str
    origin: str  # scheme://host[:port]


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
        for key in Passkey.objects.filter(user=user)
    ]


def passkey_register_options(*, user: User, rp: RelyingParty) -> tuple[str, str]:
    """The options for the browser's ``navigator.credentials.create``: (JSON, challenge to keep
    in the session, base64url). No side effects."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=str(user.pk).encode(),
        user_display_name=user.get_full_name() or user.email,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def passkey_register(
    *, user: User, rp: RelyingParty, challenge: str, credential: dict[str, Any], name: str
) -> tuple[Passkey, list[str]]:
    """Verify the browser's new credential and keep it. Returns the passkey and, when it is the
    person's first second factor, their new recovery codes. Raises ``InvalidInput`` when the
    browser's answer does not verify. Side effects: a Passkey row, an audit entry."""
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(_("The passkey could not be verified.")) from exc
    with transaction.atomic():
        had_codes = RecoveryCode.objects.filter(user=user).exists()
        is_first = not twofactor.has_second_factor(user)
        key = Passkey.objects.create(
            user=user,
            name=(name or "").strip()[:100] or _("Passkey"),
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )
        codes = twofactor.recovery_codes_fresh(user) if is_first or not had_codes else []
        audit.record(
            actor=user,
            action=Action.TWOFA_ENROLLED,
            obj=user,
            after={"method": "passkey", "name": key.name},
        )
    return key, codes


def passkey_login_options(*, user: User, rp: RelyingParty) -> tuple[str, str]:
    """The options for ``navigator.credentials.get`` for ``user``'s passkeys."""
    options = generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def passkey_login(
    *, user: User, rp: RelyingParty, challenge: str, credential: dict[str, Any], ip: str | None
) -> bool:
    """The second step by passkey: True when the browser's signature verifies with one of
    ``user``'s passkeys; throttled with the codes (``twofactor.second_step_verify``).
    Side effects: the throttle; the key's counter and last use; an audit entry on a failure."""
    identity = f"twofactor:{user.pk}"
    reservation = throttle.login_attempt_reserve(identity=identity, ip=ip)
    if isinstance(reservation, throttle.Refusal):
        return False
    if _passkey_check(user, rp, challenge, credential):
        throttle.login_success_record(identity=identity, reservation=reservation)
        return True
    return False


def _passkey_check(
    user: User, rp: RelyingParty, challenge: str, credential: dict[str, Any]
) -> bool:
    key = Passkey.objects.filter(user=user, credential_id=str(credential.get("id", ""))).first()
    if key is None:
        audit.record(actor=user, action=Action.TWOFA_FAILED, obj=user, after={"method": "passkey"})
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        audit.record(actor=user, action=Action.TWOFA_FAILED, obj=user, after={"method": "passkey"})
        return False
    Passkey.objects.filter(pk=key.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return True
