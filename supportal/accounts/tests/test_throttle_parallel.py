"""The log-in throttle under parallel guesses (issue 15, section 3): deciding and counting are
one step, and an attempt is counted before its password is checked."""

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
