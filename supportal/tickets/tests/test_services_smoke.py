from supportal.tickets.services import ticket_transition
from supportal.tickets.workflow import Action, Status


def test_first_ticket_of_a_desk_is_number_one(cast):
    ticket = cast.ticket()
    assert ticket.reference == "HELP-1"
    assert ticket.status == Status.WAITING_FOR_SUPPORT


def test_agent_takes_a_ticket(cast):
    ticket = cast.ticket()
    ticket = ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == cast.agent_help
