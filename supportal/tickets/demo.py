"""A living demo built on the reference story (docs/requirements.md#story), loaded by
``manage.py load_demo``.

Everything is created through the same services the product uses, with instants in the recent
past, so the timeline, the events and (later) the SLA clocks look as they would in real use.
Loading twice changes nothing: people and settings are looked up by natural keys, and tickets
are created only on a desk that has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from supportal.accounts.models import (
    Organization,
    OrganizationDomain,
    OrganizationProduct,
    User,
)
from supportal.desks.models import (
    CustomField,
    CustomFieldKind,
    Desk,
    DeskMembership,
    DeskRole,
    Priority,
    Product,
    RequestType,
)
from supportal.tickets import services
from supportal.tickets.models import SubmissionMethod, Ticket
from supportal.tickets.workflow import Action, WaitingReason

DEMO_PASSWORD = "Helpdesk2026"  # noqa: S105 - printed by `make run` for the demo log-ins


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


DEMO_LOGINS = (
    DemoLogin("administrator", "admin@tecnet.example"),
    DemoLogin("team lead", "elena.ionescu@tecnet.example"),
    DemoLogin("agent", "bogdan.moraru@tecnet.example"),
    DemoLogin("customer", "cristina.tanasescu@example.com"),
    DemoLogin("customer admin", "andrei.popa@example.com"),
    DemoLogin("customer, English", "john.miller@example.com"),
    DemoLogin("customer of a Czech company", "jana.novakova@novak.example"),
)

# The demo's names in English, Romanian and Czech (docs/languages.md#names): the English one is
# the key the story below uses.
REQUEST_TYPES = {
    "Question": ("Întrebare", "Dotaz"),
    "Bug": ("Eroare", "Chyba"),
    "Configuration": ("Configurare", "Konfigurace"),
    "Development": ("Dezvoltare", "Vývoj"),
    "Modification": ("Modificare", "Úprava"),
    "None": ("Altele", "Jiné"),
}
PRIORITIES = {
    "Urgent": ("Urgentă", "Naléhavá", 30, False),
    "High": ("Ridicată", "Vysoká", 20, False),
    "Normal": ("Normală", "Normální", 10, True),
}
CUSTOM_FIELD_LABELS = {
    "retailer": ("Retailer", "Comerciant", "Obchodní řetězec"),
    "tecnet_web_user": ("Tecnet web user name", "Utilizator Tecnet Web", "Uživatel Tecnet Web"),
}


def _person(email: str, first: str, last: str, **fields: object) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, password=DEMO_PASSWORD, first_name=first, last_name=last, **fields
        )
    return user


@dataclass(frozen=True)
class _Demo:
    desk: Desk
    product: Product
    types: dict[str, RequestType]
    priorities: dict[str, Priority]
    agent: User
    cristina: User
    andrei: User
    john: User
    jana: User
    now: dt.datetime

    def at(self, hours_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(hours=hours_ago)


@transaction.atomic
def demo_load(
    *, now: dt.datetime | None = None, settings_fill: Callable[[], None] | None = None
) -> bool:
    """Load the demo; returns False when it was already there (nothing changes then).

    ``settings_fill`` runs first when the demo is new: the site-wide settings the apps above
    this one own (the site's language and the support line, filled by ``load_demo``)."""
    now = now or timezone.now()
    desk, _created = Desk.objects.get_or_create(
        key="HELP",
        defaults={
            "name_en": "Helpdesk",
            "name_ro": "Helpdesk",
            "name_cs": "Helpdesk",
            "email_address": "support@localhost",
        },
    )
    if desk.tickets.exists():
        return False
    if settings_fill is not None:
        settings_fill()
    product, types, priorities = _catalogue_load(desk)
    agent, cristina, andrei, john, jana = _people_load(desk, product)
    demo = _Demo(desk, product, types, priorities, agent, cristina, andrei, john, jana, now)
    _story_load(demo)
    _help_161_load(demo)
    return True


def _catalogue_load(
    desk: Desk,
) -> tuple[Product, dict[str, RequestType], dict[str, Priority]]:
    product, _created = Product.objects.get_or_create(
        name_en="Tecnet Web", defaults={"name_ro": "Tecnet Web", "name_cs": "Tecnet Web"}
    )
    desk.products.add(product)
    types = {
        en: RequestType.objects.get_or_create(
            desk=desk, name_en=en, defaults={"name_ro": ro, "name_cs": cs, "position": i}
        )[0]
        for i, (en, (ro, cs)) in enumerate(REQUEST_TYPES.items())
    }
    priorities = {
        en: Priority.objects.get_or_create(
            name_en=en, defaults={"name_ro": ro, "name_cs": cs, "rank": rank, "is_default": d}
        )[0]
        for en, (ro, cs, rank, d) in PRIORITIES.items()
    }
    en, ro, cs = CUSTOM_FIELD_LABELS["retailer"]
    CustomField.objects.get_or_create(
        desk=desk,
        name="retailer",
        defaults={
            "label_en": en,
            "label_ro": ro,
            "label_cs": cs,
            "kind": CustomFieldKind.CHOICE,
            "choices": ["Profi", "Kaufland", "Carrefour", "Mega Image"],
        },
    )
    en, ro, cs = CUSTOM_FIELD_LABELS["tecnet_web_user"]
    CustomField.objects.get_or_create(
        desk=desk,
        name="tecnet_web_user",
        defaults={"label_en": en, "label_ro": ro, "label_cs": cs},
    )
    return product, types, priorities


def _people_load(desk: Desk, product: Product) -> tuple[User, User, User, User, User]:
    company, _created = Organization.objects.get_or_create(
        name="Cristina SRL", defaults={"registration_number": "RO12345678"}
    )
    OrganizationDomain.objects.get_or_create(domain="example.com", organization=company)
    OrganizationProduct.objects.get_or_create(
        organization=company, product=product, defaults={"shares_requests": True}
    )
    if not User.objects.filter(email="admin@tecnet.example").exists():
        User.objects.create_superuser(
            "admin@tecnet.example", DEMO_PASSWORD, first_name="Ada", last_name="Admin"
        )
    lead = _person("elena.ionescu@tecnet.example", "Elena", "Ionescu", is_agent=True, language="ro")
    agent = _person("bogdan.moraru@tecnet.example", "Bogdan", "Moraru", is_agent=True)
    DeskMembership.objects.get_or_create(
        desk=desk, user=lead, defaults={"role": DeskRole.TEAM_LEAD}
    )
    DeskMembership.objects.get_or_create(desk=desk, user=agent, defaults={"role": DeskRole.AGENT})
    cristina = _person(
        "cristina.tanasescu@example.com",
        "Cristina",
        "Tănăsescu",
        organization=company,
        language="ro",
        phone="+40 721 000 161",
    )
    andrei = _person(
        "andrei.popa@example.com", "Andrei", "Popa", organization=company, is_customer_admin=True
    )
    # An English colleague at the Romanian customer (his own choice), and a Czech company whose
    # people chose nothing: they are written to in Czech (docs/languages.md).
    john = _person("john.miller@example.com", "John", "Miller", organization=company, language="en")
    novak, _created = Organization.objects.get_or_create(
        name="Novák s.r.o.",
        defaults={
            "registration_number": "CZ27082440",
            "language": "cs",
            "time_zone": "Europe/Prague",
        },
    )
    OrganizationDomain.objects.get_or_create(domain="novak.example", organization=novak)
    OrganizationProduct.objects.get_or_create(organization=novak, product=product)
    jana = _person("jana.novakova@novak.example", "Jana", "Nováková", organization=novak)
    return agent, cristina, andrei, john, jana


# Earlier requests, one in every status, so every list and filter has something to show:
# (summary, request type, the actions taken, how many hours ago it was raised).
_EARLIER_REQUESTS = [
    ("Nu pot descărca factura din portal", "Question", [], 200),
    ("Eroare la exportul comenzilor EDI", "Bug", [Action.TAKE], 150),
    ("Configurare utilizator nou", "Configuration", [Action.TAKE, Action.REQUEST_INFO], 120),
    ("Comenzile Profi nu ajung", "Bug", [Action.TAKE, Action.WAIT_FOR_THIRD_PARTY], 96),
    ("Raport lunar vânzări", "Development", [Action.TAKE, Action.RESOLVE], 72),
    ("Schimbare adresă de livrare", "Modification", [Action.TAKE, Action.RESOLVE], 400),
    ("Cerere duplicată", "None", [Action.CANCEL], 48),
]


def _story_load(demo: _Demo) -> None:
    """The requests before the reference story's own: the earlier ones, then a Czech and an
    English customer's; then the worker's auto-close of what is due."""
    _earlier_requests_load(demo)
    _foreign_requests_load(demo)
    # The request resolved long ago has passed its auto-close time: the worker's job closes it.
    services.tickets_close_due(now=demo.now)


def _earlier_requests_load(demo: _Demo) -> None:
    """The earlier requests, each walked to its status, numbered so that the reference story's
    own request comes out as HELP-161."""
    desk, at = demo.desk, demo.at
    desk.last_ticket_number = 160 - len(_EARLIER_REQUESTS) - 2  # and the Czech and English ones
    desk.save(update_fields=["last_ticket_number"])
    for summary, type_name, actions, hours_ago in _EARLIER_REQUESTS:
        requester = demo.andrei if type_name == "Development" else demo.cristina
        ticket = services.ticket_create(
            desk=desk,
            requester=requester,
            actor=requester,
            summary=summary,
            details=f"{summary}. Vă rog să verificați.",
            request_type=demo.types[type_name],
            product=demo.product,
            priority=demo.priorities["Normal"],
            now=at(hours_ago),
        )
        _walk(ticket, actions, agent=demo.agent, requester=requester, start=at(hours_ago))


def _foreign_requests_load(demo: _Demo) -> None:
    """A Czech customer's open request, and an English customer's that Cristina follows."""
    desk, product, types, priorities, at = (
        demo.desk,
        demo.product,
        demo.types,
        demo.priorities,
        demo.at,
    )
    services.ticket_create(
        desk=desk,
        requester=demo.jana,
        actor=demo.jana,
        summary="Pokladní tiskárna netiskne účtenky",
        details="Dobrý den, od včerejška nám pokladní tiskárna netiskne účtenky. Děkuji.",
        request_type=types["Bug"],
        product=product,
        priority=priorities["High"],
        now=at(30),
    )
    english = services.ticket_create(
        desk=desk,
        requester=demo.john,
        actor=demo.john,
        summary="Monthly sales report is missing",
        details="Hello, the monthly sales report did not arrive this month. Thanks.",
        request_type=types["Question"],
        product=product,
        priority=priorities["Normal"],
        now=at(20),
    )
    services.participant_add(ticket=english, actor=demo.john, person=demo.cristina, now=at(19.9))


def _help_161_load(demo: _Demo) -> None:
    desk, product, agent, cristina = demo.desk, demo.product, demo.agent, demo.cristina
    types, priorities, at = demo.types, demo.priorities, demo.at
    # HELP-161, the reference story: registered by the agent after Cristina's phone call.
    ticket = services.ticket_create(
        desk=desk,
        requester=cristina,
        actor=agent,
        summary="Cristina SRL",
        details="Am parola blocata, rog deblocare",
        submission_method=SubmissionMethod.PHONE,
        request_type=types["Question"],
        product=product,
        priority=priorities["High"],
        contact_phone="+40 721 000 161",
        custom_fields={"retailer": "Profi", "tecnet_web_user": "cristina.tanasescu"},
        now=at(3),
    )
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.TAKE, now=at(2.9))
    services.ticket_transition(
        ticket=ticket,
        actor=agent,
        action=Action.REQUEST_INFO,
        reason=WaitingReason.INFORMATION_NEEDED,
        comment="Bună ziua, vă rugăm să ne confirmați numele de utilizator Tecnet Web.",
        now=at(2.8),
    )
    services.ticket_comment_add(
        ticket=ticket,
        author=cristina,
        body="Numele de utilizator este cristina.tanasescu. Mulțumesc!",
        now=at(2.5),
    )
    services.ticket_comment_add(
        ticket=ticket,
        author=agent,
        body="Clienta a confirmat la telefon; deblocăm contul după verificare.",
        is_public=False,
        now=at(2.4),
    )


def _walk(
    ticket: Ticket, actions: list[Action], *, agent: User, requester: User, start: dt.datetime
) -> None:
    for step, action in enumerate(actions, start=1):
        when = start + dt.timedelta(minutes=20 * step)
        actor = requester if action == Action.CANCEL else agent
        services.ticket_transition(
            ticket=ticket,
            actor=actor,
            action=action,
            comment="Vă rugăm să ne trimiteți o captură de ecran."
            if action == Action.REQUEST_INFO
            else "",
            reason=WaitingReason.INFORMATION_NEEDED if action == Action.REQUEST_INFO else "",
            third_party="Furnizorul EDI" if action == Action.WAIT_FOR_THIRD_PARTY else "",
            resolution="Am corectat configurarea; vă rugăm să verificați."
            if action == Action.RESOLVE
            else "",
            now=when,
        )
