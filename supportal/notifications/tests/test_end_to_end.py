"""Seed 000 end to end: the services, both worker queues and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext

from supportal.core.jobs import retry_delay, worker_tick
from supportal.desks.models import Desk
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import outbox_send_due
from supportal.mail.tests.test_outbox import RecordingHandler, free_port
from supportal.notifications.models import NotificationSettings
from supportal.sla.models import Policy
from supportal.tickets import services
from supportal.tickets.models import SubmissionMethod
from supportal.tickets.workflow import Action, Status

CRISTINA = "cristina.tanasescu@example.com"
AGENT = "bogdan.moraru@support.test"
LEAD = "lead@support.test"


class Sink:
    """An aiosmtpd server on 127.0.0.1 that can go down and come back on the same port."""

    def __init__(self, settings) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller: Controller | None = None
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages


@pytest.fixture
def sink(settings) -> Iterator[Sink]:
    settings.SUPPORTAL_MAIL_DOMAIN = "help.example.com"
    settings.SUPPORTAL_BASE_URL = "https://help.example.com"
    server = Sink(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_worker() -> None:
    """What `manage.py run_worker` does, until there is nothing left to do."""
    for _ in range(20):
        handled = worker_tick(holder="test-worker")
        if not any(handled.get(name) for name in ("notifications.pending", "mail.outbox")):
            return


def in_romanian(message: str, **values: object) -> str:
    with translation.override("ro"):
        return gettext(message) % values


def status_line(status: Status) -> str:
    with translation.override("ro"):
        label = str(status.label)
    return in_romanian("Current status: %(label)s.", label=label)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.django_db
def test_the_seed_000_story_delivers_each_persons_mails_in_order(cast, sink):
    # The story happened two hours ago but the worker sweeps SLA deadlines at the real time:
    # without this, its goals fall due or not by the time of day the suite runs. The SLA's
    # own mails are tested in supportal/sla/tests.
    Policy.objects.all().delete()
    Desk.objects.filter(pk=cast.help_desk.pk).update(auto_close_days=0)
    cast.cristina.language = "ro"
    cast.cristina.save()
    channels = NotificationSettings.load()
    channels.team_name = "Echipa Tecnet Helpdesk"
    channels.support_email = "helpdesk@tecnet.ro"
    channels.phone = "+4021.231.4702"
    channels.save()
    agent, customer = cast.agent_help, cast.cristina
    start = timezone.now() - dt.timedelta(hours=2)

    def at(minutes: int) -> dt.datetime:
        return start + dt.timedelta(minutes=minutes)

    ticket = services.ticket_create(
        desk=cast.help_desk,
        requester=customer,
        actor=agent,
        summary="Cristina SRL",
        details="Am parola blocata, rog deblocare",
        submission_method=SubmissionMethod.PHONE,
        now=at(0),
    )
    run_worker()
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.TAKE, now=at(86))
    run_worker()
    services.ticket_transition(
        ticket=ticket,
        actor=agent,
        action=Action.REQUEST_INFO,
        comment="Avem nevoie de informatii suplimentare",
        now=at(88),
    )
    services.ticket_comment_add(
        ticket=ticket, author=agent, body="Verificați contul.", is_public=False, now=at(89)
    )
    run_worker()
    services.ticket_comment_add(
        ticket=ticket,
        author=customer,
        body="Atasat va transmit informatiile solicitate",
        attachments=[services.NewAttachment(file=SimpleUploadedFile("6.png", b"\x89PNG"))],
        now=at(95),
    )
    run_worker()
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.START, now=at(96))
    run_worker()
    services.ticket_transition(
        ticket=ticket,
        actor=agent,
        action=Action.WAIT_FOR_THIRD_PARTY,
        third_party="Providerul EDI",
        now=at(99),
    )
    run_worker()
    services.ticket_transition(
        ticket=ticket,
        actor=agent,
        action=Action.RESOLVE,
        resolution="Am primit confirmarea tertilor, mesajul a fost transmis.",
        now=at(110),
    )
    run_worker()

    received = [(m["To"], m) for m in sink.messages]
    to_cristina = [m for to, m in received if to == CRISTINA]
    assert [m["Subject"] for m in to_cristina] == ["HELP-1 Cristina SRL"] * 6
    texts = [text_of(m) for m in to_cristina]
    assert (
        in_romanian("We confirm that we received your request %(reference)s.", reference="HELP-1")
        in texts[0]
    )
    assert status_line(Status.IN_PROGRESS) in texts[1]
    assert (
        in_romanian("%(name)s has taken your request and is working on it.", name="Bogdan Moraru")
        in texts[1]
    )
    assert status_line(Status.WAITING_FOR_CUSTOMER) in texts[2]
    assert "Avem nevoie de informatii suplimentare" in texts[2]
    assert status_line(Status.IN_PROGRESS) in texts[3]
    assert status_line(Status.WAITING_FOR_THIRD_PARTY) in texts[4]
    assert "Providerul EDI" not in texts[4]
    assert status_line(Status.RESOLVED) in texts[5]
    assert status_line(Status.CLOSED) in texts[5]
    assert "Am primit confirmarea tertilor, mesajul a fost transmis." in texts[5]
    assert all("helpdesk@tecnet.ro" in text and "+4021.231.4702" in text for text in texts)
    assert all("Verificați contul." not in text for text in texts)
    assert all(m["Auto-Submitted"] == "auto-generated" for m in to_cristina)
    assert all(m["Reply-To"].startswith("support+") for m in to_cristina)
    assert all(
        m["References"].startswith(f"<ticket-{ticket.pk}@help.example.com>") for m in to_cristina
    )
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in to_cristina)

    # The support team: the lead hears of the new request, the agent of Cristina's answer.
    assert [m.get_content_type() for to, m in received if to == LEAD] == ["multipart/alternative"]
    [answer] = [m for to, m in received if to == AGENT]
    assert "Atasat va transmit informatiile solicitate" in text_of(answer)
    assert {to for to, _m in received} == {CRISTINA, LEAD, AGENT}
    assert len(received) == 8
    message_ids = [m["Message-ID"] for _to, m in received]
    assert len(set(message_ids)) == len(message_ids)
    assert set(message_ids) == set(OutboundEmail.objects.values_list("message_id", flat=True))


@pytest.mark.django_db
def test_when_the_mail_server_is_down_the_outbox_retries_and_delivers_each_mail_once(cast, sink):
    sink.stop()
    ticket = cast.ticket(actor=cast.agent_help, summary="Cristina SRL")
    run_worker()  # the notification becomes mail; sending fails: the server is down
    queued = list(OutboundEmail.objects.order_by("pk"))
    assert {tuple(e.to) for e in queued} == {(CRISTINA,), (LEAD,)}
    assert all(e.state == OutboundState.PENDING and e.attempts == 1 for e in queued)
    assert all(e.last_error for e in queued)
    assert sink.messages == []

    sink.start()
    later = timezone.now() + retry_delay(1)
    assert outbox_send_due(later) == 2
    assert outbox_send_due(later) == 0
    assert sorted(m["To"] for m in sink.messages) == [CRISTINA, LEAD]
    assert {m["Message-ID"] for m in sink.messages} == {e.message_id for e in queued}
    assert all(m["Subject"] == f"{ticket.reference} Cristina SRL" for m in sink.messages)
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {OutboundState.SENT}
