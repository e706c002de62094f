"""The intake's reads compiled once per process (mail/inbound/rows.py) find what the ORM's
lookups found: the sender in any case, never another address, the first of the requests a
subject names."""

from __future__ import annotations

from supportal.accounts.models import User
from supportal.mail.inbound.rows import ticket_by_references, user_by_address
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.tickets.models import Ticket


def test_the_sender_is_found_in_any_case_and_only_by_their_own_address(cast):
    someone = User.objects.create_user("ana.pop@firma.test", "parola123")
    assert user_by_address("Ana.Pop@FIRMA.test") == someone
    # An underscore or a percent sign is a letter of the address, not a wildcard (SQLite's
    # case-insensitive match is a LIKE).
    assert user_by_address("ana_pop@firma.test") is None
    assert user_by_address("ana%@firma.test") is None
    someone.is_active = False
    someone.save()
    assert user_by_address("ana.pop@firma.test", is_active_only=True) is None
    assert user_by_address("ana.pop@firma.test") == someone


def test_a_subject_naming_two_requests_threads_on_the_first(cast):
    first = deliver(mail(subject="Prima")).ticket
    second = deliver(mail(subject="A doua")).ticket
    assert ticket_by_references([second.reference, first.reference]) == first
    assert ticket_by_references(["NOPE-1"]) is None
    answer = deliver(mail(subject=f"Re: {second.reference} si {first.reference}"))
    assert answer.ticket == first
    assert Ticket.objects.count() == 2
