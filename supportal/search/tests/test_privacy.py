"""Search never returns what the user may not see, and matches internal notes for agents only."""

from __future__ import annotations

import pytest

from supportal.search.selectors import ticket_search
from supportal.tickets import services
from supportal.tickets.models import Ticket


def _found(user, query: str, queryset=None) -> list[str]:
    return list(ticket_search(user, query, queryset).values_list("reference", flat=True))


@pytest.fixture(autouse=True, params=["from the index", "from the texts"])
def chosen(request, monkeypatch) -> None:
    """Each test both ways SQLite chooses the matches: from FTS5 (a rare word), and from the
    documents' texts (a common word, docs/search.md "Ranking stops early")."""
    if request.param == "from the texts":
        from supportal.search import selectors

        monkeypatch.setattr(selectors, "_FEW", 0)


@pytest.fixture
def noted(cast) -> Ticket:
    """A HELP ticket of Cristina with an internal note only agents may read."""
    ticket = cast.ticket(summary="Parola blocată", details="Rog deblocare")
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Clientul are restanțe la plată",
        is_public=False,
    )
    return ticket


def test_customer_of_another_company_never_finds_the_ticket(cast, noted):
    for query in ("parola", "deblocare", noted.reference, "cristina.tanasescu@example.com"):
        assert _found(cast.other_customer, query) == []
        assert _found(cast.outsider, query) == []


def test_customer_never_finds_a_ticket_by_words_only_in_an_internal_note(cast, noted):
    assert _found(cast.cristina, "parola") == [noted.reference]
    for customer in (cast.cristina, cast.colleague, cast.cristina_admin):
        assert _found(customer, "restante") == []
        assert _found(customer, "parola restante") == []
        # Engine syntax typed by a customer cannot reach the internal column either.
        assert _found(customer, "internal_text: restante") == []
        assert _found(customer, "{internal_text}: restante") == []


def test_the_desk_team_finds_a_ticket_by_its_internal_note(cast, noted):
    for agent in (cast.agent_help, cast.lead_help, cast.admin):
        assert _found(agent, "restante") == [noted.reference]
        assert _found(agent, "restanțe la plată") == [noted.reference]
        # Words from the public text and from a note may be combined.
        assert _found(agent, "parola restante") == [noted.reference]


def test_agent_of_another_desk_does_not_find_the_ticket(cast, noted):
    assert _found(cast.agent_dev, "restante") == []
    assert _found(cast.agent_dev, "parola") == []


def test_agent_given_a_wider_queryset_still_matches_only_their_desks_notes(cast, noted):
    everything = Ticket.objects.all()
    assert _found(cast.agent_dev, "restante", everything) == []
    assert _found(cast.agent_dev, "parola restante", everything) == []
    # Public text stays searchable in what the caller chose to show.
    assert _found(cast.agent_dev, "parola", everything) == [noted.reference]


def test_search_narrows_a_given_queryset_and_never_widens_it(cast, noted):
    mine = cast.ticket(requester=cast.colleague, summary="Parola uitată")
    only_colleague = Ticket.objects.filter(requester=cast.colleague)
    assert _found(cast.agent_help, "parola", only_colleague) == [mine.reference]
    assert _found(cast.cristina, "parola", Ticket.objects.none()) == []


def test_inactive_user_finds_nothing(cast, noted):
    cast.cristina.is_active = False
    assert _found(cast.cristina, "parola") == []
