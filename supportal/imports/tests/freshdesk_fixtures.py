"""Freshdesk API v2 answers, shaped as its public documentation shows them (the list
endpoints' objects, the ``Link`` header, a 429 with ``Retry-After``), with Romanian and Czech
content and the awkward cases: a deleted contact, a requester Freshdesk no longer lists, an
agent who is also a contact, an HTML-only description, files on replies and on the ticket."""

from __future__ import annotations

import copy

from supportal.imports.tests.server import Answer, FixtureServer

PDF = b"%PDF-1.4\n% raport sedinta\n" + b"0" * 2000
LOG = "Jurnal EDI: conexiune întreruptă la 03:12.\n".encode() * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
FILES = {"4000000001": LOG, "4000000002": PDF, "4000000003": PNG}

COMPANIES = [
    {
        "id": 8000000001,
        "name": "Transilvania Distribuție SRL",
        "description": "Distribuitor de materiale de construcții",
        "note": None,
        "domains": ["transilvania.ro"],
        "custom_fields": {},
        "created_at": "2019-04-02T08:00:00Z",
        "updated_at": "2023-01-10T10:00:00Z",
    },
    {
        "id": 8000000002,
        "name": "Plzeňské obchody s.r.o.",
        "description": "Velkoobchod",
        "note": None,
        "domains": ["plzenske.cz"],
        "custom_fields": {},
        "created_at": "2020-06-01T08:00:00Z",
        "updated_at": "2023-01-10T10:00:00Z",
    },
]


def _agent(agent_id, name, email):
    return {
        "available": True,
        "occasional": False,
        "id": agent_id,
        "ticket_scope": 1,
        "signature": None,
        "group_ids": [5000000001],
        "role_ids": [1],
        "type": "support_agent",
        "contact": {
            "active": True,
            "email": email,
            "job_title": None,
            "language": "ro",
            "last_login_at": "2024-03-01T07:00:00Z",
            "mobile": None,
            "name": name,
            "phone": None,
            "time_zone": "Bucharest",
            "created_at": "2019-01-01T08:00:00Z",
            "updated_at": "2024-03-01T07:00:00Z",
        },
        "created_at": "2019-01-01T08:00:00Z",
        "updated_at": "2024-03-01T07:00:00Z",
    }


AGENTS = [
    _agent(9000000001, "Ioana Marinescu", "ioana.marinescu@suport-firma.ro"),
    # Also a contact (7000000003): he opens requests of his own company too.
    _agent(9000000002, "Petr Dvořák", "petr.dvorak@plzenske.cz"),
]


def _contact(contact_id, name, email, company_id, **extra):
    return {
        "active": True,
        "address": None,
        "company_id": company_id,
        "description": None,
        "email": email,
        "id": contact_id,
        "job_title": None,
        "language": "ro",
        "mobile": None,
        "name": name,
        "phone": None,
        "time_zone": "Bucharest",
        "twitter_id": None,
        "other_emails": [],
        "custom_fields": {},
        "created_at": "2020-01-01T08:00:00Z",
        "updated_at": "2024-01-01T08:00:00Z",
        **extra,
    }


CONTACTS_PAGE_1 = [
    _contact(
        7000000001,
        "Mihai Popescu",
        "mihai.popescu@transilvania.ro",
        8000000001,
        phone="+40 264 000 111",
    ),
]
CONTACTS_PAGE_2 = [
    _contact(7000000002, "Jana Svobodová", "jana.svobodova@plzenske.cz", 8000000002, language="cs"),
    _contact(7000000003, "Petr Dvořák", "petr.dvorak@plzenske.cz", 8000000002, language="cs"),
]
DELETED_CONTACTS = [
    _contact(
        7000000009,
        "Andrei Vechi",
        "andrei.vechi@transilvania.ro",
        8000000001,
        active=False,
        deleted=True,
    ),
]
STATUS_FIELD = [
    {
        "id": 80000001,
        "name": "status",
        "label": "Status",
        "description": "Ticket status",
        "position": 4,
        "required_for_closure": False,
        "required_for_agents": False,
        "type": "default_status",
        "default": True,
        "customers_can_edit": False,
        "label_for_customers": "Status",
        "required_for_customers": False,
        "displayed_to_customers": True,
        "created_at": "2019-01-01T08:00:00Z",
        "updated_at": "2019-01-01T08:00:00Z",
        "choices": {
            "2": ["Open", "Being Processed"],
            "3": ["Pending", "Awaiting your Reply"],
            "4": ["Resolved", "This ticket has been Resolved"],
            "5": ["Closed", "This ticket has been Closed"],
            "6": ["Waiting on Customer", "Awaiting your Reply"],
            "7": ["Escaladat", "Being Processed"],
        },
    }
]


def _custom_field(field_id, name, label, field_type, *, customers=True, choices=None):
    """A custom ticket field as ``GET /api/v2/ticket_fields`` lists it."""
    row = {
        "id": field_id,
        "name": name,
        "label": label,
        "description": None,
        "position": 10 + field_id % 100,
        "required_for_closure": False,
        "required_for_agents": False,
        "type": field_type,
        "default": False,
        "customers_can_edit": customers,
        "label_for_customers": label,
        "required_for_customers": False,
        "displayed_to_customers": customers,
        "created_at": "2019-01-01T08:00:00Z",
        "updated_at": "2019-01-01T08:00:00Z",
    }
    if choices is not None:
        row["choices"] = choices
    return row


CUSTOM_FIELDS = [
    _custom_field(80000011, "cf_cod_magazin", "Cod magazin", "custom_text"),
    _custom_field(
        80000012,
        "cf_sistem_afectat",
        "Sistem afectat",
        "custom_dropdown",
        choices=["EDI", "Portal clienți", "Contabilitate"],
    ),
    _custom_field(80000013, "cf_valoare_comanda", "Valoare comandă", "custom_decimal"),
    _custom_field(80000014, "cf_data_incidentului", "Data incidentului", "custom_date"),
    _custom_field(80000015, "cf_in_garantie", "În garanție", "custom_checkbox", customers=False),
]
TICKET_FIELDS = STATUS_FIELD + CUSTOM_FIELDS
GROUPS = [
    {
        "id": 5000000001,
        "name": "Suport EDI",
        "description": "Echipa de suport EDI",
        "escalate_to": None,
        "unassigned_for": None,
        "business_hour_id": None,
        "group_type": "support_agent_group",
        "created_at": "2019-01-01T08:00:00Z",
        "updated_at": "2019-01-01T08:00:00Z",
    },
    {
        "id": 5000000002,
        "name": "Podpora CZ",
        "description": "Česká podpora",
        "escalate_to": None,
        "unassigned_for": None,
        "business_hour_id": None,
        "group_type": "support_agent_group",
        "created_at": "2020-06-01T08:00:00Z",
        "updated_at": "2020-06-01T08:00:00Z",
    },
]
RATINGS = [
    {
        "id": 6000000001,
        "survey_id": 1,
        "user_id": 7000000001,
        "agent_id": 9000000001,
        "feedback": "Mulțumesc, rezolvat rapid și clar!",
        "group_id": 5000000001,
        "ticket_id": 161,
        "created_at": "2024-03-05T12:00:00Z",
        "updated_at": "2024-03-05T12:00:00Z",
        "ratings": {"default_question": 103},
    }
]


def _file(url, file_id, name, content_type):
    return {
        "id": file_id,
        "content_type": content_type,
        "size": len(FILES[str(file_id)]),
        "name": name,
        "attachment_url": f"{url}/files/{file_id}?X-Amz-Signature=abc",
        "created_at": "2024-03-04T09:10:00Z",
        "updated_at": "2024-03-04T09:10:00Z",
    }


def _ticket(ticket_id, **fields):
    base = {
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "fr_escalated": False,
        "spam": False,
        "email_config_id": None,
        "group_id": 5000000001,
        "priority": 2,
        "requester_id": 7000000001,
        "responder_id": 9000000001,
        "source": 1,
        "company_id": 8000000001,
        "status": 2,
        "subject": "",
        "to_emails": None,
        "product_id": None,
        "id": ticket_id,
        "type": "Question",
        "due_by": "2024-03-06T09:00:00Z",
        "fr_due_by": "2024-03-04T11:00:00Z",
        "is_escalated": False,
        "description": "",
        "description_text": "",
        "custom_fields": {},
        "created_at": "2024-03-04T09:00:00Z",
        "updated_at": "2024-03-04T09:00:00Z",
        "tags": [],
        "attachments": [],
        "stats": {
            "agent_responded_at": None,
            "requester_responded_at": None,
            "first_responded_at": None,
            "status_updated_at": None,
            "reopened_at": None,
            "resolved_at": None,
            "closed_at": None,
            "pending_since": None,
        },
    }
    base.update(fields)
    return base


def tickets(url):
    first = _ticket(
        161,
        subject="Facturile nu ajung la distribuitor prin EDI",
        description="<div>Bună ziua,<br>facturile din <b>3 martie</b> nu au ajuns.</div>",
        description_text="Bună ziua,\nfacturile din 3 martie nu au ajuns.",
        status=5,
        type="Incident",
        priority=3,
        custom_fields={
            "cf_cod_magazin": "MAG-0042",
            "cf_sistem_afectat": "EDI",
            "cf_valoare_comanda": 1520.5,
            "cf_data_incidentului": "2024-03-03",
            "cf_in_garantie": True,
        },
        updated_at="2024-03-08T09:00:00Z",
        attachments=[_file(url, 4000000001, "jurnal-edi.log", "text/plain")],
        stats={
            "agent_responded_at": "2024-03-04T09:30:00Z",
            "requester_responded_at": "2024-03-04T10:00:00Z",
            "first_responded_at": "2024-03-04T09:30:00Z",
            "status_updated_at": "2024-03-08T09:00:00Z",
            "reopened_at": None,
            "resolved_at": "2024-03-05T11:00:00Z",
            "closed_at": "2024-03-08T09:00:00Z",
            "pending_since": "2024-03-04T09:30:00Z",
        },
    )
    second = _ticket(
        162,
        subject="Nefunguje export objednávek do účetnictví",
        # HTML only, as older Freshdesk accounts send it.
        description="<p>Dobrý den,</p><p>export objednávek&nbsp;končí chybou.</p>"
        "<script>alert(1)</script><ul><li>verze 4.2</li></ul>",
        description_text=None,
        requester_id=7000000002,
        company_id=8000000002,
        status=7,
        group_id=5000000002,
        priority=4,
        custom_fields={
            "cf_cod_magazin": None,
            "cf_sistem_afectat": "Contabilitate",
            "cf_valoare_comanda": None,
            "cf_data_incidentului": None,
            "cf_in_garantie": False,
        },
        responder_id=9000000002,
        created_at="2024-03-06T10:00:00Z",
        updated_at="2024-03-06T12:00:00Z",
    )
    third = _ticket(
        163,
        subject="Acces portal pentru colegul plecat",
        description_text="Vă rog dezactivați contul lui Andrei.",
        requester_id=7000000009,
        status=2,
        type=None,
        priority=1,
        custom_fields={"cf_cod_magazin": "", "cf_valoare_comanda": 0},
        responder_id=None,
        created_at="2024-03-07T08:00:00Z",
        updated_at="2024-03-07T08:30:00Z",
    )
    fourth = _ticket(
        164,
        subject="Cerere de la un fost client",
        description_text="Contul meu a fost șters?",
        requester_id=7000000099,  # no longer listed by Freshdesk at all
        status=3,
        responder_id=None,
        created_at="2024-03-07T09:00:00Z",
        updated_at="2024-03-07T09:30:00Z",
    )
    # Merged into 161 by the agent: closed, with the note the merge writes.
    merged = _ticket(
        165,
        subject="Tot facturile EDI, din nou",
        description_text="Nici facturile de azi nu au ajuns.",
        status=5,
        type="Incident",
        priority=3,
        created_at="2024-03-04T11:00:00Z",
        updated_at="2024-03-04T11:20:00Z",
        stats={
            **first["stats"],
            "resolved_at": None,
            "closed_at": "2024-03-04T11:20:00Z",
            "pending_since": None,
        },
    )
    return [first, second], [third, fourth, merged]


def _conversation(
    conv_id, ticket_id, user_id, body, *, private=False, incoming=False, at, files=()
):
    return {
        "body": body,
        "body_text": "",
        "id": conv_id,
        "incoming": incoming,
        "private": private,
        "user_id": user_id,
        "support_email": None if incoming else "suport@firma.ro",
        "source": 0 if incoming else 2,
        "category": 2,
        "ticket_id": ticket_id,
        "to_emails": [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": None,
        "attachments": list(files),
        "created_at": at,
        "updated_at": at,
    }


def conversations(url):
    pdf = _file(url, 4000000002, "raport ședință.pdf", "application/pdf")
    png = _file(url, 4000000003, "captură ecran.png", "image/png")
    reply = _conversation(
        3000000001,
        161,
        9000000001,
        "<div>Bună ziua, domnule Popescu,<br>puteți trimite jurnalul de azi?</div>",
        at="2024-03-04T09:30:00Z",
        files=[pdf],
    )
    reply["body_text"] = "Bună ziua, domnule Popescu,\nputeți trimite jurnalul de azi?"
    return {
        161: [
            reply,
            _conversation(
                3000000002,
                161,
                9000000001,
                "<p>Notă internă: certificatul AS2 a expirat.</p>",
                private=True,
                at="2024-03-04T09:40:00Z",
            ),
            _conversation(
                3000000003,
                161,
                7000000001,
                "<p>Am atașat captura.</p>",
                incoming=True,
                at="2024-03-04T10:00:00Z",
                files=[png],
            ),
        ],
        162: [
            _conversation(
                3000000004,
                162,
                9000000002,
                "<p>Dobrý den, chybu jsme předali dodavateli účetnictví.</p>",
                at="2024-03-06T12:00:00Z",
            )
        ],
        163: [],
        164: [],
        165: [
            _conversation(
                3000000005,
                165,
                9000000001,
                'This ticket is closed and merged into ticket <a href="https://firma.freshdesk'
                '.com/a/tickets/161">#161</a>',
                private=True,
                at="2024-03-04T11:20:00Z",
            )
        ],
    }


class Freshdesk:
    """The fake account: its state can change between runs (a new reply), and it can fail."""

    def __init__(self) -> None:
        self.server = FixtureServer(self.answer)
        self.url = self.server.url
        self.tickets = tickets(self.url)
        self.conversations = conversations(self.url)
        self.throttled = False
        self.broken: set[str] = set()

    def answer(self, path, query, server):
        if path in self.broken:
            return Answer({"code": "internal_error"}, 500)
        if path.startswith("/files/"):
            return Answer(raw=FILES[path.rsplit("/", 1)[1]])
        link = f'<{self.url}{path}?page=2&per_page=100>; rel="next"'
        page = query.get("page", "1")
        if path == "/api/v2/companies":
            return Answer(COMPANIES)
        if path == "/api/v2/agents":
            return Answer(AGENTS)
        if path == "/api/v2/contacts":
            if query.get("state") == "deleted":
                return Answer(DELETED_CONTACTS)
            if page == "1":
                return Answer(CONTACTS_PAGE_1, headers={"Link": link})
            return Answer(CONTACTS_PAGE_2)
        if path == "/api/v2/ticket_fields":
            wanted = query.get("type")
            return Answer([f for f in TICKET_FIELDS if not wanted or f["type"] == wanted])
        if path == "/api/v2/groups":
            return Answer(GROUPS)
        if path == "/api/v2/surveys/satisfaction_ratings":
            return Answer(RATINGS)
        if path == "/api/v2/tickets":
            if page == "1":
                return Answer(
                    self.tickets[0],
                    headers={
                        "Link": link,
                        "X-RateLimit-Total": "200",
                        "X-RateLimit-Remaining": "3",
                    },
                )
            if not self.throttled:
                # The rate limit, in the middle of the tickets' pages.
                self.throttled = True
                return Answer(
                    {"code": "rate_limit_exceeded"},
                    429,
                    headers={
                        "Retry-After": "1",
                        "X-RateLimit-Total": "200",
                        "X-RateLimit-Remaining": "0",
                    },
                )
            return Answer(self.tickets[1])
        if path.startswith("/api/v2/tickets/") and path.endswith("/conversations"):
            ticket_id = int(path.split("/")[4])
            return Answer(copy.deepcopy(self.conversations.get(ticket_id, [])))
        return None
