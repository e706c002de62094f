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
