"""Each rule of issue 6 (seed 000): who is told, with which subject, headers and sentence."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from supportal.desks.models import Desk
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import outbox_send_due
from supportal.notifications import selectors
from supportal.notifications.models import (
    AgentNotificationPreference,
    NotificationSettings,
    PendingNotification,
    PendingState,
)
from supportal.notifications.services import (
    address_suppress,
    agent_preference_set,
    mute_token_make,
    notifications_send_due,
    reply_token_resolve,
    thread_root_id,
)
from supportal.notifications.tests.conftest import recipients
from supportal.tickets import services
from supportal.tickets.models import SubmissionMethod
from supportal.tickets.workflow import Action

CRISTINA = "cristina.tanasescu@example.com"
COLLEAGUE = "ion.popescu@example.com"
AGENT = "bogdan.moraru@support.test"
LEAD = "lead@support.test"


def registered_by_phone(cast, **fields):
    """Seed 000: the agent registers Cristina's phone call."""
    return cast.ticket(
        actor=cast.agent_help,
        summary=fields.pop("summary", "Cristina SRL"),
        submission_method=SubmissionMethod.PHONE,
        **fields,
    )


def act(cast, ticket, action, actor=None, **kwargs):
    return services.ticket_transition(
        ticket=ticket, actor=actor or cast.agent_help, action=action, **kwargs
    )


def only(emails, address):
    found = [email for email in emails if address in email.to]
    assert len(found) == 1, [(e.to, e.template) for e in emails]
    return found[0]


# --- Customers --------------------------------------------------------------------------------


def test_new_request_sends_the_requester_a_confirmation_with_view_request(cast, mailbox):
    ticket = registered_by_phone(cast)
    emails = mailbox.deliver()
    confirmation = only(emails, CRISTINA)
    assert confirmation.template == "ticket_created"
    assert confirmation.subject == "HELP-1 Cristina SRL"
    assert "We confirm that we received your request HELP-1." in confirmation.body_text
    assert f"View request: https://help.example.com/requests/{ticket.reference}/" in (
        confirmation.body_text
    )
    assert "View request" in confirmation.body_html
    assert AGENT not in recipients(emails)  # the agent who registered it


def test_a_customer_opening_a_request_gets_the_receipt_of_their_own_action(cast, mailbox):
    cast.ticket()
    confirmation = only(mailbox.deliver(), CRISTINA)
    assert confirmation.template == "ticket_created"


def test_new_request_tells_the_desks_agents_unless_the_desk_turned_it_off(cast, mailbox):
    cast.ticket()
    emails = mailbox.deliver()
    assert only(emails, AGENT).template == "agent_new_ticket"
    assert only(emails, LEAD).template == "agent_new_ticket"
    assert "dev@support.test" not in recipients(emails)  # another desk
    assert "New request HELP-1 on the desk Helpdesk" in only(emails, AGENT).body_text

    Desk.objects.filter(pk=cast.help_desk.pk).update(notify_agents_of_new_tickets=False)
    cast.ticket()
    assert recipients(mailbox.deliver()) == [CRISTINA]


def test_status_change_goes_to_requester_and_participants_listing_the_others(cast, mailbox):
    ticket = registered_by_phone(cast, participants=[cast.colleague])
    mailbox.deliver()
    act(cast, ticket, Action.TAKE)
    emails = mailbox.deliver()
    assert sorted(recipients(emails)) == [CRISTINA, COLLEAGUE]
    to_cristina = only(emails, CRISTINA)
    assert "Current status: In progress." in to_cristina.body_text
    assert f"Other participants on this request: {COLLEAGUE}." in to_cristina.body_text
    assert f"Other participants on this request: {CRISTINA}." in only(emails, COLLEAGUE).body_text


def test_the_in_progress_mail_says_an_agent_took_the_request(cast, mailbox):
    ticket = registered_by_phone(cast)
    mailbox.deliver()
    act(cast, ticket, Action.TAKE)
    mail = only(mailbox.deliver(), CRISTINA)
    assert "Bogdan Moraru has taken your request and is working on it." in mail.body_text
    assert mail.template == "ticket_updated"


def test_a_status_change_with_its_comment_is_one_mail(cast, mailbox):
    ticket = registered_by_phone(cast)
    act(cast, ticket, Action.TAKE)
    mailbox.deliver()
    act(cast, ticket, Action.REQUEST_INFO, comment="Avem nevoie de informatii suplimentare")
    mail = only(mailbox.deliver(), CRISTINA)
    assert "Current status: Waiting for customer." in mail.body_text
    assert "Bogdan Moraru added a comment:\nAvem nevoie de informatii suplimentare" in (
        mail.body_text
    )
    assert "We need more information from you" in mail.body_text
    assert PendingNotification.objects.filter(state=PendingState.PENDING).count() == 0


def test_the_resolved_mail_carries_the_resolution(cast, mailbox):
    ticket = registered_by_phone(cast)
    act(cast, ticket, Action.TAKE)
    mailbox.deliver()
    act(cast, ticket, Action.RESOLVE, resolution="Am deblocat parola.")
    mail = only(mailbox.deliver(), CRISTINA)
    assert "Your request has been resolved." in mail.body_text
    assert "Resolution:\nAm deblocat parola." in mail.body_text
    assert "Current status: Resolved." in mail.body_text


def test_resolving_on_a_desk_that_closes_at_once_is_one_mail_with_both_statuses(cast, mailbox):
    Desk.objects.filter(pk=cast.help_desk.pk).update(auto_close_days=0)
    ticket = registered_by_phone(cast)
    act(cast, ticket, Action.TAKE)
    mailbox.deliver()
    act(cast, ticket, Action.RESOLVE, resolution="Am primit confirmarea tertilor.")
    mail = only(mailbox.deliver(), CRISTINA)
    text = mail.body_text
    assert text.index("Current status: Resolved.") < text.index("Current status: Closed.")
    assert "Am primit confirmarea tertilor." in text


def test_a_public_agent_comment_is_mailed_with_its_text_and_files(cast, mailbox):
    ticket = registered_by_phone(cast)
    mailbox.deliver()
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Vă rugăm să încercați din nou.",
        attachments=[services.NewAttachment(file=SimpleUploadedFile("pasi.txt", b"1. 2. 3."))],
    )
    mail = only(mailbox.deliver(), CRISTINA)
    assert "Bogdan Moraru added a comment:\nVă rugăm să încercați din nou." in mail.body_text
    assert "Attached: pasi.txt" in mail.body_text


def test_internal_notes_never_leave_the_support_team(cast, mailbox):
    ticket = registered_by_phone(cast, participants=[cast.colleague], contact_email="x@firma.ro")
    services.ticket_transition(ticket=ticket, actor=cast.lead_help, action=Action.TAKE)
    mailbox.deliver()
    secret = "Parola veche era 1234 — nu spuneți clientei"
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body=secret, is_public=False)
    act(cast, ticket, Action.WAIT_FOR_THIRD_PARTY, comment=secret, third_party="Furnizorul EDI")
    # The note explains the third party's answer, in the same action: the assignee reads it.
    answered_at = timezone.now()
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body=secret, is_public=False, now=answered_at
    )
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.THIRD_PARTY_ANSWERED, now=answered_at
    )
    emails = mailbox.deliver()
    support = {AGENT, LEAD, "admin@support.test", "dev@support.test"}
    for email in OutboundEmail.objects.all():
        if secret in email.body_text or secret in email.body_html:
            assert set(email.to) <= support, email.to
    assert any(secret in e.body_text for e in emails if LEAD in e.to)  # the assignee may read it
    customer_mails = [e for e in emails if not set(e.to) <= support]
    assert customer_mails  # the status changes were told, without the note
    assert "Furnizorul EDI" not in "".join(e.body_text + e.body_html for e in customer_mails)


@pytest.mark.parametrize("how", ["muted", "global switch"])
def test_dont_notify_me_stops_status_and_comment_mails_but_not_questions_or_resolution(
    cast, mailbox, how
):
    ticket = registered_by_phone(cast)
    mailbox.deliver()
    if how == "muted":
        services.ticket_mute_set(ticket=ticket, user=cast.cristina, is_muted=True)
    else:
        cast.cristina.has_email_notifications = False
        cast.cristina.save()
    act(cast, ticket, Action.TAKE)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Lucrăm la ea.")
    assert CRISTINA not in recipients(mailbox.deliver())

    act(cast, ticket, Action.REQUEST_INFO, comment="Care este numele de utilizator?")
    question = only(mailbox.deliver(), CRISTINA)
    assert "Care este numele de utilizator?" in question.body_text

    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="cristina.tanasescu")
    act(cast, ticket, Action.START)
    assert CRISTINA not in recipients(mailbox.deliver())

    act(cast, ticket, Action.RESOLVE, resolution="Contul este deblocat.")
    resolution = only(mailbox.deliver(), CRISTINA)
    assert "Contul este deblocat." in resolution.body_text


def test_undoing_dont_notify_me_brings_the_mails_back(cast, mailbox):
    ticket = registered_by_phone(cast)
    services.ticket_mute_set(ticket=ticket, user=cast.cristina, is_muted=True)
    services.ticket_mute_set(ticket=ticket, user=cast.cristina, is_muted=False)
    mailbox.deliver()
    act(cast, ticket, Action.TAKE)
    assert only(mailbox.deliver(), CRISTINA)


def test_the_requests_contact_email_replaces_the_account_address(cast, mailbox):
    ticket = registered_by_phone(cast, contact_email="Office@Cristina-SRL.ro")
    assert recipients([only(mailbox.deliver(), "office@cristina-srl.ro")])
    act(cast, ticket, Action.TAKE)
    emails = mailbox.deliver()
    assert recipients(emails) == ["office@cristina-srl.ro"]
    assert CRISTINA not in recipients(emails)


def test_every_customer_mail_ends_with_the_support_channels(cast, mailbox):
    channels = NotificationSettings.load()
    channels.team_name = "Echipa Tecnet Helpdesk"
    channels.support_email = "helpdesk@tecnet.ro"
    channels.portal_url = "https://helpdesk.tecnet.ro"
    channels.phone = "+4021.231.4702"
    channels.working_hours = "Luni–Vineri 08:00–17:00"
    channels.footer_note = "Vă rugăm să transmiteți solicitările numai prin aceste canale."
    channels.save()
    registered_by_phone(cast)
    mail = only(mailbox.deliver(), CRISTINA)
    for text in (mail.body_text, mail.body_html):
        assert "helpdesk@tecnet.ro" in text
        assert "https://helpdesk.tecnet.ro" in text
        assert "+4021.231.4702" in text
        assert "Luni–Vineri 08:00–17:00" in text
        assert "Echipa Tecnet Helpdesk" in text
        assert "numai prin aceste canale" in text
    assert "Telephone: +4021.231.4702" in mail.body_text


def test_nobody_is_mailed_about_their_own_action(cast, mailbox):
    ticket = registered_by_phone(cast, participants=[cast.colleague])
    act(cast, ticket, Action.REQUEST_INFO, comment="Numele de utilizator?")
    mailbox.deliver()
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="cristina.tanasescu")
    emails = mailbox.deliver()
    assert CRISTINA not in recipients(emails)
    assert COLLEAGUE in recipients(emails)  # a participant hears of Cristina's answer
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Mulțumim!")
    assert AGENT not in recipients(mailbox.deliver())


def test_the_customers_language_is_used(cast, mailbox):
    cast.cristina.language = "ro"
    cast.cristina.save()
    registered_by_phone(cast)
    emails = mailbox.deliver()
    mail = only(emails, CRISTINA)
    assert mail.language == "ro"
    assert 'lang="ro"' in mail.body_html
    assert only(emails, LEAD).language == "en"  # settings.LANGUAGE_CODE for no choice


def test_html_mail_has_inline_styles_and_no_remote_images(cast, mailbox):
    registered_by_phone(cast)
    html = only(mailbox.deliver(), CRISTINA).body_html
    assert 'style="' in html
    assert "<img" not in html
    assert "<link" not in html
    assert "<script" not in html


# --- Agents -----------------------------------------------------------------------------------


def test_a_customers_answer_is_told_to_the_agent_the_request_is_assigned_to(cast, mailbox):
    ticket = registered_by_phone(cast)
    act(cast, ticket, Action.TAKE)
    act(cast, ticket, Action.REQUEST_INFO, comment="Numele de utilizator?")
    mailbox.deliver()
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="cristina.tanasescu")
    mail = only(mailbox.deliver(), AGENT)
    assert mail.template == "agent_customer_answer"
    assert mail.subject.startswith("HELP-1 ")
    assert "Cristina Tănăsescu answered on HELP-1, which is assigned to you." in mail.body_text
    assert "cristina.tanasescu" in mail.body_text
    assert "/agent/tickets/HELP-1/" in mail.body_text


def test_an_assignment_is_told_to_the_agent_unless_they_took_it_themselves(cast, mailbox):
    ticket = registered_by_phone(cast)
    mailbox.deliver()
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    mail = only(mailbox.deliver(), AGENT)
    assert mail.template == "agent_assigned"
    assert "Lena Lead assigned HELP-1 to you." in mail.body_text
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.lead_help)
    assert LEAD not in recipients(mailbox.deliver())


def test_a_third_partys_answer_recorded_by_someone_else_is_told_to_the_assignee(cast, mailbox):
    ticket = registered_by_phone(cast)
    act(cast, ticket, Action.TAKE)
    act(cast, ticket, Action.WAIT_FOR_THIRD_PARTY, third_party="Furnizorul EDI")
    mailbox.deliver()
    services.ticket_transition(
        ticket=ticket, actor=cast.lead_help, action=Action.THIRD_PARTY_ANSWERED
    )
    mail = only(mailbox.deliver(), AGENT)
    assert mail.template == "agent_third_party_answer"
    assert "recorded the third party's answer on HELP-1" in mail.body_text


@pytest.mark.parametrize(
    ("choice", "template"),
    [
        ("has_new_ticket_mail", "agent_new_ticket"),
        ("has_assignment_mail", "agent_assigned"),
        ("has_customer_answer_mail", "agent_customer_answer"),
        ("has_third_party_answer_mail", "agent_third_party_answer"),
    ],
)
def test_each_agent_turns_each_kind_of_mail_off(cast, mailbox, choice, template):
    agent_preference_set(user=cast.agent_help, **{choice: False})
    ticket = cast.ticket()
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    act(cast, ticket, Action.REQUEST_INFO, comment="Numele de utilizator?")
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="cristina.tanasescu")
    act(cast, ticket, Action.WAIT_FOR_THIRD_PARTY, third_party="EDI")
    services.ticket_transition(
        ticket=ticket, actor=cast.lead_help, action=Action.THIRD_PARTY_ANSWERED
    )
    templates = {e.template for e in OutboundEmail.objects.all() if AGENT in e.to} | {
        e.template for e in mailbox.deliver() if AGENT in e.to
    }
    expected = {
        "agent_new_ticket",
        "agent_assigned",
        "agent_customer_answer",
        "agent_third_party_answer",
    }
    assert templates == expected - {template}
    assert AgentNotificationPreference.objects.get(user=cast.agent_help).has_assignment_mail == (
        choice != "has_assignment_mail"
    )


# --- Held addresses ---------------------------------------------------------------------------


def test_mail_to_a_hard_bounced_address_is_held_and_agents_see_why(cast, mailbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    address_suppress(email=CRISTINA.upper(), detail="550 5.1.1 mailbox unavailable")
    ticket = registered_by_phone(cast)
    held = only(mailbox.deliver(), CRISTINA)
    assert held.state == OutboundState.HELD
    assert "550 5.1.1" in held.last_error
    outbox_send_due(timezone.now())
    held.refresh_from_db()
    assert held.state == OutboundState.HELD
    [(email, why)] = selectors.held_email_list_for_ticket(cast.agent_help, ticket)
    assert email.pk == held.pk
    assert "bounced permanently" in why
    assert "550 5.1.1" in why
    assert selectors.held_email_list_for_ticket(cast.cristina, ticket) == []


# --- Headers ----------------------------------------------------------------------------------


def test_headers_thread_every_mail_of_a_request_and_carry_the_reply_and_unsubscribe(cast, mailbox):
    ticket = registered_by_phone(cast)
    first = only(mailbox.deliver(), CRISTINA)
    act(cast, ticket, Action.TAKE)
    second = only(mailbox.deliver(), CRISTINA)
    root = thread_root_id(ticket)
    assert root == f"<ticket-{ticket.pk}@help.example.com>"
    assert first.message_id.endswith("@help.example.com>")
    assert first.message_id != second.message_id
    assert first.headers["In-Reply-To"] == root
    assert first.headers["References"] == root
    assert second.headers["In-Reply-To"] == first.message_id
    assert second.headers["References"] == f"{root} {first.message_id}"
    assert second.subject == first.subject == "HELP-1 Cristina SRL"

    assert first.reply_to == second.reply_to
    local, domain = first.reply_to.split("@")
    assert domain == "help.example.com"
    assert local.startswith("support+")
    assert reply_token_resolve(local.split("+")[1]) == ticket
    assert reply_token_resolve(first.reply_to) == ticket
    assert reply_token_resolve("support+notatoken@help.example.com") is None
    assert reply_token_resolve("") is None

    token = mute_token_make(ticket=ticket, user=cast.cristina)
    assert first.headers["Auto-Submitted"] == "auto-generated"
    assert first.headers["List-Unsubscribe"] == (
        f"<https://help.example.com/notifications/mute/{token}/>"
    )
    assert first.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Bogdan Moraru" in first.from_email


def test_reply_tokens_differ_per_request_and_are_long(cast, mailbox):
    first, second = registered_by_phone(cast), registered_by_phone(cast)
    tokens = {first.reply_address.token, second.reply_address.token}
    assert len(tokens) == 2
    assert all(len(token) >= 24 for token in tokens)


# --- Mechanism --------------------------------------------------------------------------------


def test_a_rolled_back_action_leaves_nothing_to_notify(cast, mailbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        registered_by_phone(cast)
        assert PendingNotification.objects.exists()
        raise RuntimeError("the action failed")
    assert not PendingNotification.objects.exists()
    assert mailbox.deliver() == []


def test_nothing_is_mailed_from_the_request_thread(cast, mailbox):
    before = OutboundEmail.objects.count()
    registered_by_phone(cast)
    assert OutboundEmail.objects.count() == before  # only the worker turns actions into mail
    assert PendingNotification.objects.filter(state=PendingState.PENDING).count() == 1


def test_a_failing_notification_is_retried_then_sent(cast, mailbox, monkeypatch):
    from supportal.notifications.services import worker as notification_services

    registered_by_phone(cast)
    real = notification_services.notification_mails_queue

    def broken(row):
        raise RuntimeError("template missing")

    monkeypatch.setattr(notification_services, "notification_mails_queue", broken)
    now = timezone.now()
    assert notifications_send_due(now) == 1
    row = PendingNotification.objects.get()
    assert row.state == PendingState.PENDING
    assert "template missing" in row.last_error
    assert OutboundEmail.objects.count() == 0
    monkeypatch.setattr(notification_services, "notification_mails_queue", real)
    assert notifications_send_due(now) == 0  # not before its time
    assert notifications_send_due(row.next_attempt_at) == 1
    row.refresh_from_db()
    assert row.state == PendingState.DONE
    assert row.email_count == OutboundEmail.objects.count() > 0


def test_the_notifications_are_a_registered_worker_queue():
    from supportal.core import jobs

    assert jobs.registry.queues["notifications.pending"].handler is notifications_send_due
