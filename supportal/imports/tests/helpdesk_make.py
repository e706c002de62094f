# mypy: ignore-errors
"""Run by the django-helpdesk environment's interpreter (helpdesk_env.py), never imported by
Supportal: migrates django-helpdesk's tables into the database of argv[1] and fills them
through django-helpdesk's own models, files under argv[2] (its MEDIA_ROOT), then prints what
it made as one JSON line.

Two queues; a Romanian ticket opened through the form's way (the "Ticket Opened" follow-up
repeating the description, with a file), answered publicly with a PDF, an internal note, a
user copied on it and resolved; a Czech ticket from a submitter with no account (her e-mails
have no user), closed; a ticket in the other queue with a follow-up by a deactivated user.
"""

import datetime as dt
import json
import sys
from urllib.parse import unquote, urlsplit

import django
from django.conf import settings


def _database(url):
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)[1:]}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.strip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": parts.port or "",
    }


settings.configure(
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sites",
        "django.contrib.humanize",
        "helpdesk",
    ],
    DATABASES={"default": _database(sys.argv[1])},
    MEDIA_ROOT=sys.argv[2],
    USE_TZ=True,
    TIME_ZONE="UTC",
    SITE_ID=1,
    SECRET_KEY="helpdesk-test-only",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    # Teams (pinax-teams) only serve the knowledge base, which the import leaves out.
    HELPDESK_TEAMS_MODE_ENABLED=False,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from helpdesk.models import (  # noqa: E402
    FollowUp,
    FollowUpAttachment,
    Queue,
    Ticket,
    TicketCC,
    TicketChange,
)

PDF = b"%PDF-1.4\n% raport interventie\n" + b"1" * 3000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 700
CONTRACT = b"%PDF-1.4\n% smlouva\n" + b"2" * 1500


def at(day, hour, minute=0):
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=dt.UTC)


def followup(ticket, when, *, comment, public, user=None, new_status=None, title="Comment"):
    made = FollowUp.objects.create(
        ticket=ticket,
        date=when,
        title=title,
        comment=comment,
        public=public,
        user=user,
        new_status=new_status,
    )
    return made


def attach(made, name, content, mime):
    item = FollowUpAttachment(followup=made, filename=name, mime_type=mime, size=len(content))
    item.file.save(name, ContentFile(content), save=False)
    item.save()
    return item


def main():
    call_command("migrate", verbosity=0)
    ioana = User.objects.create_user(
        "ioana", "ioana.marinescu@suport-firma.ro", first_name="Ioana", last_name="Marinescu",
        is_staff=True,
    )  # fmt: skip
    mihai = User.objects.create_user(
        "mihai", "mihai.popescu@transilvania.ro", first_name="Mihai", last_name="Popescu"
    )
    radu = User.objects.create_user(
        "radu", "radu.ilie@transilvania.ro", first_name="Radu", last_name="Ilie"
    )
    andrei = User.objects.create_user(
        "andrei", "andrei.vechi@transilvania.ro", first_name="Andrei", last_name="Vechi",
        is_active=False,
    )  # fmt: skip
    support = Queue.objects.create(title="Suport clienți", slug="suport")
    billing = Queue.objects.create(title="Facturare", slug="facturare")

    description = "Bună ziua,\n\nNu pot emite factura din portal: butonul „Emite” nu răspunde."
    invoice = Ticket.objects.create(
        title="Nu pot emite factura din portal",
        queue=support,
        submitter_email="mihai.popescu@transilvania.ro",
        assigned_to=ioana,
        status=Ticket.RESOLVED_STATUS,
        description=description,
        resolution="Certificatul de semnare a fost reînnoit.",
        priority=2,
    )
    opened = followup(
        invoice, at(4, 7), comment=description, public=True, user=mihai, title="Ticket Opened"
    )
    screenshot = attach(opened, "captură ecran.png", PNG, "image/png")
    answer = followup(
        invoice, at(4, 9), comment="Bună ziua, domnule Popescu,\nvă trimit raportul atașat.",
        public=True, user=ioana,
    )  # fmt: skip
    report = attach(answer, "raport intervenție.pdf", PDF, "application/pdf")
    followup(
        invoice, at(4, 10), comment="Intern: certificatul de semnare a expirat ieri.",
        public=False, user=ioana,
    )  # fmt: skip
    resolved = followup(
        invoice, at(5, 12), comment="Am reînnoit certificatul; vă rog să încercați din nou.",
        public=True, user=ioana, new_status=Ticket.RESOLVED_STATUS, title="Resolved",
    )  # fmt: skip
    TicketChange.objects.create(
        followup=resolved, field="Status", old_value="Open", new_value="Resolved"
    )
    TicketCC.objects.create(ticket=invoice, user=radu, can_view=True, can_update=False)

    address = Ticket.objects.create(
        title="Změna fakturační adresy",
        queue=support,
        submitter_email="jana.svobodova@plzenske.cz",
        status=Ticket.CLOSED_STATUS,
        description="Dobrý den,\nprosím o změnu fakturační adresy na Plzeň, Americká 12.",
        priority=3,
    )
    mail = followup(
        address, at(6, 8), comment="Posílám podepsanou smlouvu v příloze.", public=True,
        title="E-Mail Received from jana.svobodova@plzenske.cz",
    )  # fmt: skip
    contract = attach(mail, "smlouva.pdf", CONTRACT, "application/pdf")
    followup(
        address, at(6, 15), comment="Adresa je změněna. Děkujeme.", public=True, user=ioana,
        new_status=Ticket.CLOSED_STATUS, title="Closed",
    )  # fmt: skip

    duplicate = Ticket.objects.create(
        title="Factură dublată în martie",
        queue=billing,
        submitter_email="mihai.popescu@transilvania.ro",
        status=Ticket.REOPENED_STATUS,
        description="Am primit de două ori factura 0042.",
        priority=1,
    )
    followup(duplicate, at(7, 9), comment="Verific cu contabilitatea.", public=True, user=andrei)
    # Resolved, then reopened by the customer's answer: the status history to replay.
    followup(
        duplicate, at(7, 10), comment="Factura dublă a fost anulată.", public=True, user=ioana,
        new_status=Ticket.RESOLVED_STATUS, title="Resolved",
    )  # fmt: skip
    followup(
        duplicate, at(7, 11), comment="Tot o primesc de două ori.", public=True, user=mihai,
        new_status=Ticket.REOPENED_STATUS, title="Reopened",
    )  # fmt: skip

    # The instants django-helpdesk set to "now" are put back to the history's own.
    Ticket.objects.filter(pk=invoice.pk).update(created=at(4, 7), modified=at(5, 12))
    Ticket.objects.filter(pk=address.pk).update(created=at(6, 7, 30), modified=at(6, 15))
    Ticket.objects.filter(pk=duplicate.pk).update(created=at(7, 8), modified=at(7, 11))
    print(
        json.dumps(
            {
                "tickets": {
                    "invoice": invoice.pk,
                    "address": address.pk,
                    "duplicate": duplicate.pk,
                },
                "files": {
                    screenshot.file.name: len(PNG),
                    report.file.name: len(PDF),
                    contract.file.name: len(CONTRACT),
                },
            }
        )
    )


main()
