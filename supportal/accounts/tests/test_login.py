"""Log-in by e-mail, "Keep me logged in", log-out, and throttling: slowed down, then locked, the
lock ending by itself, per account and per address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from supportal.accounts import throttle
from supportal.accounts.models import SignupMode

PASSWORD = "parola123"  # the cast's


def _login(client: Client, email: str, password: str, **extra):
    return client.post(reverse("login"), {"username": email, "password": password, **extra})


def _is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_customer_logs_in_with_the_email_in_any_case(client, cast):
    response = _login(client, "  CRISTINA.Tanasescu@Example.com ", PASSWORD)

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_keep_me_logged_in_keeps_the_session_for_30_days(client, cast):
    response = _login(client, cast.cristina.email, PASSWORD, remember_me="on")

    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == pytest.approx(30 * 24 * 3600, abs=5)
    assert response.cookies["sessionid"]["max-age"] == pytest.approx(30 * 24 * 3600, abs=5)


def test_without_keep_me_logged_in_the_session_ends_with_the_browser(client, cast):
    response = _login(client, cast.cristina.email, PASSWORD)

    assert client.session.get_expire_at_browser_close()
    assert response.cookies["sessionid"]["max-age"] == ""
    assert response.cookies["sessionid"]["expires"] == ""


def test_log_out_ends_the_session_and_says_so(client, cast):
    _login(client, cast.cristina.email, PASSWORD)

    response = client.post(reverse("logout"), follow=True)

    assert not _is_logged_in(client)
    assert "You are logged out." in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client, cast):
    wrong = _login(client, cast.cristina.email, "nu-e-bine-12").content.decode()
    unknown = _login(client, "nimeni@example.com", "nu-e-bine-12").content.decode()

    message = "The e-mail address or the password is not right."
    assert message in wrong
    assert message in unknown


def test_an_inactive_customer_cannot_log_in(client, cast):
    cast.cristina.is_active = False
    cast.cristina.save()

    assert _login(client, cast.cristina.email, PASSWORD).status_code == 200
    assert not _is_logged_in(client)


def test_the_login_page_offers_forgot_password_and_keep_me_logged_in(client, db):
    page = client.get(reverse("login")).content.decode()

    assert "Keep me logged in" in page
    assert reverse("accounts:password_forgot") in page
    assert reverse("accounts:signup") not in page  # closed by default
    assert reverse("accounts:company_login") not in page  # off by default


def test_the_login_page_offers_sign_up_when_it_is_open(client, portal):
    portal.signup_mode = SignupMode.OPEN
    portal.save()

    assert reverse("accounts:signup") in client.get(reverse("login")).content.decode()


def test_failed_logins_are_slowed_down_then_locked_and_the_lock_ends_by_itself(client, cast, clock):
    for _ in range(2):
        assert "not right" in _login(client, cast.cristina.email, "gresit-11").content.decode()

    _login(client, cast.cristina.email, "gresit-11")  # the third: a wait begins
    slowed = _login(client, cast.cristina.email, PASSWORD)
    assert slowed.status_code == 429
    assert "Wait 10 seconds, then try again." in slowed.content.decode()
    assert not _is_logged_in(client)

    clock.advance(seconds=11)
    _login(client, cast.cristina.email, "gresit-11")  # the fourth: a longer wait
    assert "Wait 20 seconds" in _login(client, cast.cristina.email, PASSWORD).content.decode()

    clock.advance(seconds=21)
    _login(client, cast.cristina.email, "gresit-11")  # the fifth: locked
    locked = _login(client, cast.cristina.email, PASSWORD)
    assert locked.status_code == 429
    assert "Logging in is locked for 15 more minutes" in locked.content.decode()
    assert "the lock ends by itself" in locked.content.decode()

    clock.advance(minutes=14)
    assert (
        "locked for 1 more minute;"
        in _login(client, cast.cristina.email, PASSWORD).content.decode()
    )
    assert not _is_logged_in(client)

    clock.advance(minutes=1, seconds=1)
    assert _login(client, cast.cristina.email, PASSWORD).status_code == 302
    assert _is_logged_in(client)


def test_attempts_during_a_lock_do_not_extend_it(client, cast, clock):
    for _ in range(5):
        _login(client, cast.cristina.email, "gresit-11")
        clock.advance(seconds=30)
    for _ in range(10):
        clock.advance(minutes=1)
        _login(client, cast.cristina.email, "gresit-11")

    clock.advance(minutes=5)

    assert _login(client, cast.cristina.email, PASSWORD).status_code == 302


def test_a_second_lock_lasts_twice_as_long(client, cast, clock):
    for _round in range(2):
        for _ in range(5):
            _login(client, cast.cristina.email, "gresit-11")
            clock.advance(seconds=30)
        clock.advance(minutes=16)

    # The second lock (30 minutes) began at the fifth failure of the second round.
    clock.advance(minutes=-16)
    assert "locked for" in _login(client, cast.cristina.email, PASSWORD).content.decode()
    clock.advance(minutes=31)
    assert _login(client, cast.cristina.email, PASSWORD).status_code == 302


def test_a_successful_login_clears_the_accounts_failures(client, cast, clock):
    for _ in range(2):
        _login(client, cast.cristina.email, "gresit-11")
    assert _login(client, cast.cristina.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    for _ in range(2):
        _login(client, cast.cristina.email, "gresit-11")

    assert _login(client, cast.cristina.email, PASSWORD).status_code == 302


def test_a_locked_account_stays_locked_from_another_address(cast, clock):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _login(attacker, cast.cristina.email, "gresit-11")
        clock.advance(seconds=30)

    owner = Client(REMOTE_ADDR="198.51.100.7")
    response = _login(owner, cast.cristina.email, PASSWORD)

    assert response.status_code == 429
    assert not _is_logged_in(owner)


def test_many_failures_from_one_address_lock_that_address_for_every_account(cast, clock):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(30):
        _login(attacker, f"ghicit{number}@example.com", "gresit-11")
        clock.advance(seconds=61)

    assert _login(attacker, cast.cristina.email, PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert _login(elsewhere, cast.cristina.email, PASSWORD).status_code == 302


def test_logging_in_to_ones_own_account_does_not_clear_the_addresss_failures(cast, clock):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(29):
        _login(attacker, f"ghicit{number}@example.com", "gresit-11")
        clock.advance(seconds=61)
    assert _login(attacker, cast.colleague.email, PASSWORD).status_code == 302
    attacker.post(reverse("logout"))

    _login(attacker, "ghicit-again@example.com", "gresit-11")

    assert _login(attacker, cast.cristina.email, PASSWORD).status_code == 429


def test_the_lock_reads_the_same_for_an_unknown_address(cast, clock):
    answers = []
    for address, email in (("203.0.113.1", cast.cristina.email), ("203.0.113.2", "nu@x.test")):
        web = Client(REMOTE_ADDR=address)
        for _ in range(5):
            _login(web, email, "gresit-11")
            clock.advance(seconds=30)
        answers.append(_login(web, email, "gresit-11"))

    known, unknown = answers
    assert known.status_code == unknown.status_code == 429
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_the_administration_site_log_in_is_throttled_too(cast, clock):
    web = Client()
    for _ in range(5):
        web.post(reverse("admin:login"), {"username": cast.admin.email, "password": "gresit-11"})
        clock.advance(seconds=30)

    response = web.post(
        reverse("admin:login"), {"username": cast.admin.email, "password": PASSWORD}
    )

    assert not _is_logged_in(web)
    # Told it is locked, not "wrong password" (docs/security.md, Accounts).
    assert "Logging in is locked for" in response.content.decode()
    assert "correct" not in response.content.decode()


def test_support_can_end_a_lock_at_once(client, cast, clock):
    for _ in range(5):
        _login(client, cast.cristina.email, "gresit-11")
        clock.advance(seconds=30)

    throttle.login_unlock(identity=throttle.email_identity(cast.cristina.email))

    assert _login(client, cast.cristina.email, PASSWORD).status_code == 302


def test_failures_are_forgotten_a_day_after_the_last_one(cast, clock):
    identity = throttle.email_identity(cast.cristina.email)
    for _ in range(4):
        throttle.login_failure_record(identity=identity, ip=None)
        clock.advance(minutes=2)
    clock.advance(hours=24, minutes=1)

    throttle.login_failure_record(identity=identity, ip=None)

    assert throttle.login_refusal(identity=identity, ip=None) is None
