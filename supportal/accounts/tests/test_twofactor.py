"""Two-factor sign-in: enrolment with an authenticator app, the second step after the password
(codes computed with pyotp, as the app would), enforcement by role, single-use recovery codes,
the second step's throttle, trusted devices, and an administrator's reset."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from supportal.accounts.models import TotpDevice, TrustedDevice, TwoFactorPolicy
from supportal.accounts.services import twofactor
from supportal.accounts.tests.helpers import mails
from supportal.audit.models import Action, AuditEntry

PASSWORD = "parola123"


def _login(client: Client, user, **extra):
    return client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD, **extra}, follow=False
    )


def _enrol(client: Client, user) -> tuple[pyotp.TOTP, list[str]]:
    """Set up the app as the person would: read the key from the page, type the app's code."""
    client.force_login(user)
    page = client.get(reverse("accounts:twofactor"))
    assert "<svg" in page.content.decode()  # the QR code, drawn here
    totp = pyotp.TOTP(page.context["secret"])
    done = client.post(reverse("accounts:twofactor"), {"code": totp.now()})
    codes = done.context["codes"]
    assert len(codes) == 10
    client.logout()
    return totp, codes


def _age_device(user) -> None:
    # A code is accepted once per time step: let the next log-in use the current code again.
    TotpDevice.objects.filter(user=user).update(last_step=0)


def test_a_log_in_with_an_authenticator_app_asks_for_the_code_after_the_password(client, cast):
    totp, _codes = _enrol(client, cast.cristina)
    _age_device(cast.cristina)

    response = _login(client, cast.cristina)
    assert response.status_code == 302
    # Logged in by password, but every page leads to the second step until it is passed.
    held = client.get(reverse("accounts:profile"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("accounts:twofactor_verify"))

    wrong = client.post(reverse("accounts:twofactor_verify"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "The code is not right." in wrong.content.decode()

    right = client.post(
        reverse("accounts:twofactor_verify"), {"code": totp.now(), "next": "/account/"}
    )
    assert right.status_code == 302
    assert right["Location"] == "/account/"
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert AuditEntry.objects.filter(action=Action.TWOFA_ENROLLED, actor=cast.cristina).exists()


def test_a_code_works_only_once(client, cast):
    totp, _codes = _enrol(client, cast.cristina)

    # The code that confirmed the app cannot be used again for the log-in: the very code typed,
    # not the clock's current one, which is a new code when a time step has passed since.
    confirming = totp.generate_otp(TotpDevice.objects.get(user=cast.cristina).last_step)
    _login(client, cast.cristina)
    replay = client.post(reverse("accounts:twofactor_verify"), {"code": confirming})
    assert replay.status_code == 400


def test_the_policy_sends_an_agent_to_enrolment_right_after_the_password(client, cast):
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = True
    policy.save()

    _login(client, cast.agent_help, next="/agent/")
    held = client.get("/agent/")
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("accounts:twofactor"))

    page = client.get(reverse("accounts:twofactor"))
    assert "Your role requires two-factor sign-in" in page.content.decode()
    assert "Turn two-factor sign-in off" not in page.content.decode()
    totp = pyotp.TOTP(page.context["secret"])
    client.post(reverse("accounts:twofactor"), {"code": totp.now()})

    assert client.get("/agent/").status_code == 200


def test_customers_are_not_required_but_may_turn_it_on(client, cast):
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = policy.is_required_for_administrators = True
    policy.save()

    _login(client, cast.cristina)

    assert client.get(reverse("accounts:profile")).status_code == 200
    assert twofactor.is_required_for(cast.admin)
    assert not twofactor.is_required_for(cast.cristina)


def test_team_leads_alone_can_be_required(cast):
    policy = TwoFactorPolicy.load()
    policy.is_required_for_team_leads = True
    policy.save()

    assert twofactor.is_required_for(cast.lead_help)
    assert not twofactor.is_required_for(cast.agent_help)


def test_a_recovery_code_works_once(client, cast):
    _totp, codes = _enrol(client, cast.cristina)

    _login(client, cast.cristina)
    used = client.post(reverse("accounts:twofactor_verify"), {"code": codes[0].upper()})
    assert used.status_code == 302
    assert AuditEntry.objects.filter(action=Action.RECOVERY_CODE_USED).count() == 1
    client.logout()

    _login(client, cast.cristina)
    again = client.post(reverse("accounts:twofactor_verify"), {"code": codes[0]})
    assert again.status_code == 400
    assert client.post(reverse("accounts:twofactor_verify"), {"code": codes[1]}).status_code == 302


def test_the_second_step_is_throttled_and_then_locked(client, cast):
    totp, _codes = _enrol(client, cast.cristina)
    _age_device(cast.cristina)
    _login(client, cast.cristina)

    answers = [
        client.post(reverse("accounts:twofactor_verify"), {"code": "123456"}).status_code
        for _ in range(6)
    ]

    assert answers[:3] == [400, 400, 400]
    assert 429 in answers  # slowed down, then locked
    locked = client.post(reverse("accounts:twofactor_verify"), {"code": totp.now()})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_a_trusted_device_skips_the_second_step_until_logging_out_everywhere(client, cast):
    _totp, codes = _enrol(client, cast.cristina)
    _login(client, cast.cristina)
    client.post(reverse("accounts:twofactor_verify"), {"code": codes[0], "trust_device": "on"})
    assert client.cookies[twofactor.TRUSTED_COOKIE].value
    assert client.cookies[twofactor.TRUSTED_COOKIE]["max-age"] == 30 * 24 * 3600
    client.post(reverse("logout"))  # keeps the browser's cookies, as a real log-out does

    _login(client, cast.cristina)
    assert client.get(reverse("accounts:profile")).status_code == 200

    client.post(reverse("accounts:sessions_end_all"))
    assert not TrustedDevice.objects.filter(user=cast.cristina).exists()
    _login(client, cast.cristina)
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_the_administration_site_log_in_is_held_to_the_second_step_too(client, cast):
    _enrol(client, cast.admin)

    client.post(reverse("admin:login"), {"username": cast.admin.email, "password": PASSWORD})

    held = client.get(reverse("admin:index"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("accounts:twofactor_verify"))


def test_an_administrator_resets_a_lost_device_and_the_person_is_told(client, cast):
    _enrol(client, cast.cristina)
    other = Client()
    other.force_login(cast.cristina)
    client.force_login(cast.admin)

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "twofactor_reset", "_selected_action": [cast.cristina.pk]},
    )

    assert not twofactor.has_second_factor(cast.cristina)
    assert other.get(reverse("accounts:profile")).status_code == 302  # logged out
    [entry] = AuditEntry.objects.filter(action=Action.TWOFA_RESET)
    assert entry.actor == cast.admin
    assert entry.object_id == str(cast.cristina.pk)
    [mail] = mails("twofactor_reset", to=cast.cristina.email)
    assert "reset the two-factor sign-in" in mail.body_text


def test_turning_it_off_is_refused_when_the_role_requires_it(client, cast):
    _enrol(client, cast.agent_help)
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = True
    policy.save()

    with pytest.raises(Exception, match="requires"):
        twofactor.twofactor_disable(user=cast.agent_help)
    assert twofactor.has_second_factor(cast.agent_help)
