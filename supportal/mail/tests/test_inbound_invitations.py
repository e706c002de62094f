"""The desk's "invite every new sender" option for unknown senders of inbound mail."""

from __future__ import annotations

from supportal.accounts.models import User
from supportal.desks.models import Desk
from supportal.mail.models import OutboundEmail
from supportal.mail.tests.test_inbound_processing import deliver, mail


def test_a_desk_that_invites_everyone_invites_an_unknown_sender_of_an_unmapped_domain(cast):
    # New desks do (the reference story: the first request invites the customer).
    assert Desk.objects.get(pk=cast.help_desk.pk).invite_all_senders
    message = deliver(mail(sender="Ion Pop <ion@gmail.test>"))
    user = User.objects.get(email="ion@gmail.test")
    assert message.outcome["result"] == "created"
    assert user.organization is None
    assert OutboundEmail.objects.filter(template="invitation", to=[user.email]).exists()


def test_a_desk_that_does_not_invite_everyone_sends_an_unmapped_sender_nothing(cast):
    Desk.objects.filter(pk=cast.help_desk.pk).update(invite_all_senders=False)
    message = deliver(mail(sender="Ion Pop <ion@gmail.test>"))
    assert message.outcome["result"] == "created"
    assert User.objects.filter(email="ion@gmail.test", organization=None).exists()
    assert not OutboundEmail.objects.filter(template="invitation").exists()


def test_only_the_receiving_desk_s_option_counts(cast):
    Desk.objects.filter(pk=cast.help_desk.pk).update(invite_all_senders=False)
    Desk.objects.filter(pk=cast.dev_desk.pk).update(
        invite_all_senders=True, email_address="dev@localhost"
    )
    deliver(mail(sender="ion@gmail.test", to="support@localhost"))
    deliver(mail(sender="ana@gmail.test", to="dev@localhost"))
    invited = OutboundEmail.objects.filter(template="invitation")
    assert [email.to for email in invited] == [["ana@gmail.test"]]


def test_an_attached_stranger_is_invited_when_the_desk_invites_everyone(cast):
    from supportal.mail.inbound import inbound_process_one

    Desk.objects.filter(pk=cast.help_desk.pk).update(invite_all_senders=True)
    ticket = cast.ticket()
    message = deliver(mail(sender="new@person.test", subject=f"Re: {ticket.reference}"))
    assert message.outcome["result"] == "quarantined"
    assert not User.objects.filter(email="new@person.test").exists()
    inbound_process_one(message.pk, decision="attach")
    assert OutboundEmail.objects.filter(template="invitation", to=["new@person.test"]).exists()
