"""The log-in throttle under parallel guesses (docs/security.md, Accounts): deciding and counting
are one step, and an attempt is counted before its password is checked."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.test import RequestFactory

from supportal.accounts import throttle

GUESSES = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_wrong_guesses_check_at_most_the_limit_of_passwords(cast, monkeypatch):
    checks = []
    real = ModelBackend.authenticate

    def slow_check(self, request, username=None, password=None, **kwargs):
        checks.append(password)
        time.sleep(0.05)  # a real password hash takes this long or longer
        return real(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", slow_check)
    start = threading.Barrier(GUESSES)
    results = []

    def guess(number: int) -> None:
        request = RequestFactory().post("/login/", REMOTE_ADDR=f"203.0.113.{number + 1}")
        start.wait()
        try:
            results.append(
                authenticate(request, username=cast.cristina.email, password=f"ghicit-{number}")
            )
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [None] * GUESSES
    assert 1 <= len(checks) <= throttle.ACCOUNT_RULE.lock_after
    # ... and the account is now refused, however many more arrive.
    refusal = throttle.login_refusal(identity=throttle.email_identity(cast.cristina.email), ip=None)
    assert refusal is not None


def test_a_burst_of_attempts_during_a_wait_neither_checks_nor_moves_it(cast):
    identity = throttle.email_identity(cast.cristina.email)
    for _ in range(throttle.ACCOUNT_RULE.slow_after):
        assert isinstance(
            throttle.login_attempt_reserve(identity=identity, ip=None), throttle.Reservation
        )
    waiting = throttle.login_refusal(identity=identity, ip=None)
    assert waiting is not None
    for _ in range(20):
        refused = throttle.login_attempt_reserve(identity=identity, ip=None)
        assert isinstance(refused, throttle.Refusal)
    assert throttle.login_refusal(identity=identity, ip=None) == waiting


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # No trusted proxy in the way: the header is the client's to write, and ignored.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # Through our proxy: the address it saw.
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # A client forging the header: only the rightmost untrusted entry counts.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two trusted hops.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
        # Garbage from the right stops at the last trusted hop.
        ("10.0.0.2", "198.51.100.7, not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_only_through_trusted_proxies(
    settings, remote, forwarded, expected
):
    settings.SUPPORTAL_TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_ip(request) == expected


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.SUPPORTAL_TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert throttle.client_ip(request) == "10.0.0.2"


# --- Caps on the mail the account forms send -------------------------------------------------


def _forgot(client, email: str):
    from django.urls import reverse

    return client.post(reverse("accounts:password_forgot"), {"email": email})


def test_password_reset_mails_are_capped_per_client_address(cast, client):
    from supportal.accounts.models import User
    from supportal.mail.models import OutboundEmail

    victims = [
        User.objects.create_user(f"victim{n}@example.com", password="parola-123-x")
        for n in range(throttle.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR + 5)
    ]
    for victim in victims:
        assert _forgot(client, victim.email).status_code == 302  # the same answer throughout
    sent = OutboundEmail.objects.filter(template="password_reset").count()
    assert sent == throttle.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR
    # Another address still gets its mail.
    from django.test import Client

    _forgot(Client(REMOTE_ADDR="198.51.100.77"), cast.cristina.email)
    assert OutboundEmail.objects.filter(to=[cast.cristina.email]).exists()


def test_account_mails_are_capped_overall(monkeypatch):
    monkeypatch.setattr(throttle, "ACCOUNT_MAILS_PER_HOUR", 3)
    taken = [throttle.account_mail_budget_take("signup", ip=f"203.0.113.{n}") for n in range(1, 6)]
    assert taken == [True, True, True, False, False]


def test_a_customer_admin_inviting_address_after_address_is_capped(cast):
    """docs/security.md, Accounts: invitations count against the inviting customer admin's
    hourly cap; the support team's invitations (phone registrations) do not."""
    from supportal.accounts.services import customer_invite
    from supportal.mail.models import OutboundEmail

    cap = throttle.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR
    for n in range(cap + 3):
        customer_invite(email=f"colleague{n}@cristina-srl.example", invited_by=cast.cristina_admin)
    invitations = OutboundEmail.objects.filter(template="invitation")
    assert invitations.count() == cap
    # Every account was still made (the form answers the same), only the mail stopped.
    from supportal.accounts.models import User

    assert User.objects.filter(email__startswith="colleague").count() == cap + 3
    customer_invite(email="phone.caller@example.com", invited_by=cast.agent_help)
    assert invitations.filter(to=["phone.caller@example.com"]).exists()
