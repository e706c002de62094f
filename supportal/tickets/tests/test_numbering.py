"""Request references: a per-desk sequence, distinct and gapless even under concurrent creation.

The concurrent tests use real threads, each with its own database connection, against the
committed cast (``transaction=True``): on PostgreSQL and on the file-based SQLite test database
(WAL, BEGIN IMMEDIATE, a 20 s busy timeout).
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from supportal.core.errors import InvalidInput
from supportal.desks.models import Desk
from supportal.tickets import services
from supportal.tickets.models import Ticket

THREADS = 8
TICKETS_PER_THREAD = 10


def create_concurrently(cast, desks: list[Desk]) -> list[BaseException]:
    """THREADS threads, started together, each creating TICKETS_PER_THREAD tickets on its desk
    (thread i uses desks[i % len(desks)]) and, in between, creations that fail and roll back
    after taking a number. Returns what went wrong."""
    start = threading.Barrier(THREADS, timeout=30)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        desk = desks[index % len(desks)]
        try:
            start.wait()
            for n in range(TICKETS_PER_THREAD):
                if n % 3 == 0:
                    # Refused inside the transaction, after the number was taken: rolled back.
                    try:
                        services.ticket_create(
                            desk=desk,
                            requester=cast.cristina,
                            actor=cast.cristina,
                            summary="Shared with a stranger",
                            participants=[cast.other_customer],
                        )
                    except InvalidInput:
                        pass
                    else:
                        raise AssertionError("a stranger was accepted as a participant")
                services.ticket_create(
                    desk=desk,
                    requester=cast.cristina,
                    actor=cast.cristina,
                    summary=f"Thread {index}, request {n}",
                )
        except BaseException as exc:  # the test thread reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a creating thread hung"
    return errors


def assert_gapless(desk: Desk, count: int) -> None:
    numbers = sorted(Ticket.objects.filter(desk=desk).values_list("number", flat=True))
    assert numbers == list(range(1, count + 1))
    references = set(Ticket.objects.filter(desk=desk).values_list("reference", flat=True))
    assert references == {f"{desk.key}-{n}" for n in range(1, count + 1)}
    desk.refresh_from_db()
    assert desk.last_ticket_number == count


@pytest.mark.django_db(transaction=True)
def test_many_threads_creating_on_one_desk_get_distinct_gapless_numbers(cast):
    errors = create_concurrently(cast, [cast.help_desk])
    assert errors == []
    assert_gapless(cast.help_desk, THREADS * TICKETS_PER_THREAD)


@pytest.mark.django_db(transaction=True)
def test_threads_creating_on_two_desks_at_once_number_each_desk_on_its_own(cast):
    errors = create_concurrently(cast, [cast.help_desk, cast.dev_desk])
    assert errors == []
    per_desk = THREADS // 2 * TICKETS_PER_THREAD
    assert_gapless(cast.help_desk, per_desk)
    assert_gapless(cast.dev_desk, per_desk)


def test_the_first_request_of_a_desk_is_number_one(cast):
    ticket = cast.ticket()
    assert (ticket.number, ticket.reference) == (1, "HELP-1")


def test_a_refused_creation_does_not_use_up_a_number(cast):
    assert cast.ticket().reference == "HELP-1"
    with pytest.raises(InvalidInput):
        cast.ticket(participants=[cast.other_customer])
    assert cast.ticket().reference == "HELP-2"


def test_a_creation_rolled_back_by_the_caller_does_not_use_up_a_number(cast):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        assert cast.ticket().reference == "HELP-1"
        raise Abort
    assert not Ticket.objects.exists()
    assert cast.ticket().reference == "HELP-1"


def test_two_desks_number_independently(cast):
    references = [
        cast.ticket(desk=desk).reference
        for desk in (cast.help_desk, cast.dev_desk, cast.help_desk, cast.help_desk, cast.dev_desk)
    ]
    assert references == ["HELP-1", "DEV-1", "HELP-2", "HELP-3", "DEV-2"]


@pytest.mark.parametrize("key", ["AB", "HELP", "DEV", "A1", "X2B", "ABCDEFGHIJ", "Q123456789"])
def test_a_desk_key_is_two_to_ten_capitals_or_digits_starting_with_a_letter(db, key):
    Desk(name="Desk", key=key).full_clean()


@pytest.mark.parametrize(
    "key",
    [
        "",
        "A",
        "help",
        "Help",
        "1HELP",
        "HELP-1",
        "HE LP",
        "HÉLP",
        "_AB",
        "ABCDEFGHIJK",
        "AB\n",
    ],
)
def test_a_malformed_desk_key_is_refused(db, key):
    with pytest.raises(ValidationError) as refusal:
        Desk(name="Desk", key=key).full_clean()
    assert "key" in refusal.value.message_dict


def test_a_desk_key_may_change_while_the_desk_has_no_requests(cast):
    cast.help_desk.key = "SUPPORT"
    cast.help_desk.full_clean()


def test_a_desk_key_cannot_change_once_a_request_carries_it(cast):
    cast.ticket()
    cast.help_desk.key = "SUPPORT"
    with pytest.raises(ValidationError) as refusal:
        cast.help_desk.full_clean()
    assert "key" in refusal.value.message_dict
    cast.help_desk.key = "HELP"
    cast.help_desk.name = "Customer help"
    cast.help_desk.full_clean()
