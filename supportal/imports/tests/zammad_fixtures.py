"""Zammad REST API answers, shaped as its public API documentation shows them (users and
tickets with ``expand=true``, articles by ticket with their attachments, tags, ``page`` and
``per_page`` pagination with no total, a 429 with ``Retry-After``), with Romanian and Czech
content, each ticket's history (state changes, a priority and a group change, a merge) and
the awkward cases: HTML bodies with an inline image, internal notes, a phone note
written for a customer, a deactivated customer, an author Zammad no longer lists (deleted), an
agent who is also a customer, a ticket merged into another."""

from __future__ import annotations

import copy

from supportal.imports.tests.server import Answer, FixtureServer

TOKEN = "zammad-jeton-secret"
LOG = "Jurnal EDI: conexiune întreruptă la 03:12.\n".encode() * 30
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 400
PDF = b"%PDF-1.4\n% objednavky\n" + b"3" * 900
INLINE = b"\x89PNG\r\n\x1a\n" + b"\x09" * 50
FILES = {"501": LOG, "502": PNG, "503": PDF, "509": INLINE}

ORGANIZATIONS = [
    {"id": 2, "name": "Transilvania Distribuție SRL", "shared": True, "domain": "transilvania.ro",
     "domain_assignment": False, "active": True, "note": "", "member_ids": [4, 6],
     "created_at": "2019-04-02T08:00:00.000Z", "updated_at": "2023-01-10T10:00:00.000Z"},
    {"id": 3, "name": "Plzeňské obchody s.r.o.", "shared": True, "domain": "plzenske.cz",
     "domain_assignment": False, "active": True, "note": "", "member_ids": [3, 5],
     "created_at": "2020-06-01T08:00:00.000Z", "updated_at": "2023-01-10T10:00:00.000Z"},
]  # fmt: skip


def _user(user_id, first, last, email, roles, organization_id=None, **extra):
    role_ids = {"Admin": 1, "Agent": 2, "Customer": 3}
    return {
        "id": user_id, "organization_id": organization_id, "login": email or "-",
        "firstname": first, "lastname": last, "email": email, "image": None, "image_source": None,
        "web": "", "phone": "", "fax": "", "mobile": "", "department": "", "street": "",
        "zip": "", "city": "", "country": "", "address": "", "vip": False, "verified": False,
        "active": True, "note": "", "last_login": None, "source": None, "login_failed": 0,
        "out_of_office": False, "preferences": {"locale": "ro-ro"}, "updated_by_id": 1,
        "created_by_id": 1, "created_at": "2020-01-01T08:00:00.000Z",
        "updated_at": "2024-01-01T08:00:00.000Z", "role_ids": [role_ids[r] for r in roles],
        "organization_ids": [], "authorization_ids": [], "karma_user_ids": [], "group_ids": {},
        "roles": roles, "organizations": [], "authorizations": [],
        "organization": None, "groups": {}, "created_by": "-", "updated_by": "-", **extra,
    }  # fmt: skip


USERS = [
    _user(1, "-", "", "", [], active=False),
    _user(2, "Ioana", "Marinescu", "ioana.marinescu@suport-firma.ro", ["Admin", "Agent"]),
    # An agent who is a customer of his own company's requests too.
    _user(3, "Petr", "Dvořák", "petr.dvorak@plzenske.cz", ["Agent", "Customer"], 3),
    _user(4, "Mihai", "Popescu", "mihai.popescu@transilvania.ro", ["Customer"], 2,
          phone="+40 264 000 111"),
    _user(5, "Jana", "Svobodová", "jana.svobodova@plzenske.cz", ["Customer"], 3,
          preferences={"locale": "cs-cz"}),
    _user(6, "Andrei", "Vechi", "andrei.vechi@transilvania.ro", ["Customer"], 2, active=False),
]  # fmt: skip
# User 9 wrote on ticket 103 and was deleted since: the users list no longer has him.


def _ticket(ticket_id, number, title, customer_id, owner_id, state, organization_id, **extra):
    return {
        "id": ticket_id, "group_id": 1, "priority_id": 2, "state_id": 2,
        "organization_id": organization_id, "number": number, "title": title,
        "owner_id": owner_id, "customer_id": customer_id, "note": None,
        "first_response_at": None, "first_response_escalation_at": None,
        "first_response_in_min": None, "first_response_diff_in_min": None, "close_at": None,
        "close_escalation_at": None, "close_in_min": None, "close_diff_in_min": None,
        "update_escalation_at": None, "update_in_min": None, "update_diff_in_min": None,
        "last_contact_at": None, "last_contact_agent_at": None,
        "last_contact_customer_at": None, "last_owner_update_at": None,
        "create_article_type_id": 1, "create_article_sender_id": 2, "article_count": 2,
        "escalation_at": None, "pending_time": None, "type": None, "time_unit": None,
        "preferences": {}, "updated_by_id": owner_id, "created_by_id": customer_id,
        "article_ids": [], "ticket_time_accounting_ids": [], "group": "Users",
        "organization": None, "ticket_time_accounting": [], "state": state,
        "priority": "2 normal", "owner": "-", "customer": "-", "created_by": "-",
        "updated_by": "-", "create_article_type": "email", "create_article_sender": "Customer",
        **extra,
    }  # fmt: skip


TICKETS = [
    _ticket(101, "31001", "Facturile nu ajung la distribuitor prin EDI", 4, 2, "closed", 2,
            created_at="2024-03-04T07:00:00.000Z", updated_at="2024-03-07T16:00:00.000Z",
            close_at="2024-03-07T16:00:00.000Z", group="Suport RO", group_id=2,
            priority="3 high", priority_id=3),
    _ticket(102, "31002", "Export objednávek končí chybou", 5, 3, "open", 3,
            created_at="2024-03-05T08:00:00.000Z", updated_at="2024-03-05T11:00:00.000Z",
            group="Podpora CZ", group_id=3),
    _ticket(103, "31003", "Contul meu nu mai funcționează", 6, 1, "pending reminder", 2,
            created_at="2024-03-07T09:00:00.000Z", updated_at="2024-03-07T10:00:00.000Z",
            pending_time="2024-03-14T09:00:00.000Z", priority="1 low", priority_id=1),
    # Jana wrote again about the export; Petr merged it into 31002.
    _ticket(104, "31004", "Export objednávek znovu nefunguje", 5, 3, "merged", 3,
            created_at="2024-03-05T09:00:00.000Z", updated_at="2024-03-05T09:30:00.000Z",
            close_at="2024-03-05T09:30:00.000Z", group="Podpora CZ", group_id=3),
]  # fmt: skip


def _article(article_id, ticket_id, author_id, sender, kind, body, at, **extra):
    return {
        "id": article_id, "ticket_id": ticket_id, "type_id": 1, "sender_id": 2,
        "from": "", "to": "", "cc": "", "subject": None, "reply_to": None,
        "message_id": None, "message_id_md5": None, "in_reply_to": None,
        "content_type": "text/html", "references": None, "body": body, "internal": False,
        "preferences": {}, "updated_by_id": author_id, "created_by_id": author_id,
        "origin_by_id": None, "created_at": at, "updated_at": at, "attachments": [],
        "sender": sender, "type": kind, "created_by": "-", "updated_by": "-", **extra,
    }  # fmt: skip


def _file(file_id, name, mime, **preferences):
    return {
        "id": int(file_id), "store_file_id": int(file_id) + 1000, "filename": name,
        "size": str(len(FILES[file_id])), "preferences": {"Mime-Type": mime, **preferences},
    }  # fmt: skip


ARTICLES = {
    101: [
        _article(1001, 101, 4, "Customer", "email",
                 "<div>Bună ziua,</div><div><br></div><div>Facturile din martie nu ajung la "
                 "distribuitor prin EDI.</div><ul><li>factura 0042</li><li>factura 0043</li></ul>",
                 "2024-03-04T07:00:00.000Z",
                 attachments=[_file("501", "jurnal-edi.log", "text/plain")]),
        _article(1002, 101, 2, "Agent", "email",
                 "<p>Bună ziua, domnule Popescu,</p><p>puteți trimite captura ecranului?</p>",
                 "2024-03-04T09:00:00.000Z"),
        _article(1003, 101, 2, "Agent", "note",
                 "<p>Notă internă: certificatul AS2 a expirat.</p>", "2024-03-04T09:30:00.000Z",
                 internal=True),
        _article(1004, 101, 4, "Customer", "email",
                 '<p>Am atașat captura.</p><img src="cid:509@zammad.example">',
                 "2024-03-05T08:00:00.000Z",
                 attachments=[_file("502", "captură ecran.png", "image/png"),
                              _file("509", "509@zammad.example", "image/png",
                                    **{"Content-ID": "509@zammad.example",
                                       "Content-Disposition": "inline"})]),
    ],
    102: [
        _article(1005, 102, 5, "Customer", "web",
                 "Dobrý den,\n\nexport objednávek končí chybou 500.", "2024-03-05T08:00:00.000Z",
                 content_type="text/plain",
                 attachments=[_file("503", "objednávky.pdf", "application/pdf")]),
        # A phone note Petr wrote for Jana: hers, as Zammad shows it.
        _article(1006, 102, 3, "Customer", "phone",
                 "<p>Volala: chyba se objevuje jen u velkých exportů.</p>",
                 "2024-03-05T10:00:00.000Z", origin_by_id=5),
        _article(1007, 102, 3, "Agent", "note",
                 "<p>Interní: předáno vývoji.</p>", "2024-03-05T11:00:00.000Z", internal=True),
    ],
    104: [
        _article(1011, 104, 5, "Customer", "email",
                 "<p>Dobrý den, export objednávek opět nefunguje.</p>", "2024-03-05T09:00:00.000Z"),
    ],
    103: [
        _article(1008, 103, 6, "Customer", "email",
                 "<p>Nu mă mai pot autentifica în portal.</p>", "2024-03-07T09:00:00.000Z"),
        _article(1009, 103, 9, "Agent", "email",
                 "<p>Contul a fost dezactivat la cererea firmei.</p>", "2024-03-07T10:00:00.000Z"),
    ],
}  # fmt: skip
TAGS = {101: ["edi", "facturare"], 102: [], 103: ["cont"], 104: []}


def _history(history_id, ticket_id, by, at, kind="updated", attribute=None, **values):
    """An item of ``GET /api/v1/ticket_history/<id>``, as Zammad's History.list gives it."""
    item = {
        "id": history_id, "o_id": ticket_id, "object": "Ticket", "type": kind,
        "related_o_id": None, "related_object": None, "id_from": None, "id_to": None,
        "value_from": None, "value_to": None, "created_by_id": by, "created_at": at, **values,
    }  # fmt: skip
    if attribute:
        item["attribute"] = attribute
    return item


HISTORY = {
    # Mon 4 March: created 07:00, Ioana asks for a screenshot at 09:00 and waits for the
    # customer (pending reminder); Mihai answers Tue 08:00 (open); Ioana solves it Wed 16:00
    # (pending close), Zammad closes it a day later.
    101: [
        _history(7001, 101, 4, "2024-03-04T07:00:00.000Z", "created"),
        _history(7002, 101, 2, "2024-03-04T09:00:00.000Z", attribute="state",
                 value_from="new", value_to="pending reminder", id_from=1, id_to=3),
        _history(7003, 101, 2, "2024-03-04T09:00:00.000Z", attribute="priority",
                 value_from="2 normal", value_to="3 high", id_from=2, id_to=3),
        {**_history(7004, 101, 2, "2024-03-04T09:00:00.000Z", "created"),
         "object": "Ticket::Article", "o_id": 1002, "related_o_id": 101,
         "related_object": "Ticket"},
        _history(7005, 101, 4, "2024-03-05T08:00:00.000Z", attribute="state",
                 value_from="pending reminder", value_to="open", id_from=3, id_to=2),
        _history(7006, 101, 2, "2024-03-06T16:00:00.000Z", attribute="state",
                 value_from="open", value_to="pending close", id_from=2, id_to=7),
        _history(7007, 101, 1, "2024-03-07T16:00:00.000Z", attribute="state",
                 value_from="pending close", value_to="closed", id_from=7, id_to=4),
    ],
    102: [
        _history(7010, 102, 5, "2024-03-05T08:00:00.000Z", "created"),
        _history(7011, 102, 3, "2024-03-05T08:15:00.000Z", attribute="group",
                 value_from="Users", value_to="Podpora CZ", id_from=1, id_to=3),
        _history(7012, 102, 3, "2024-03-05T10:00:00.000Z", attribute="state",
                 value_from="new", value_to="open", id_from=1, id_to=2),
    ],
    103: [
        _history(7020, 103, 6, "2024-03-07T09:00:00.000Z", "created"),
        _history(7021, 103, 9, "2024-03-07T10:00:00.000Z", attribute="state",
                 value_from="new", value_to="pending reminder", id_from=1, id_to=3),
    ],
    104: [
        _history(7030, 104, 5, "2024-03-05T09:00:00.000Z", "created"),
        _history(7031, 104, 3, "2024-03-05T09:30:00.000Z", attribute="state",
                 value_from="new", value_to="merged", id_from=1, id_to=5),
        _history(7032, 104, 3, "2024-03-05T09:30:00.000Z", "merged_into",
                 id_from=104, id_to=102, value_from="31004", value_to="31002"),
    ],
}  # fmt: skip


class Zammad:
    """A Zammad instance on a local port: its lists in pages of ``per_page``, page 2 of the
    tickets answered once with a 429 first."""

    def __init__(self) -> None:
        self.organizations = copy.deepcopy(ORGANIZATIONS)
        self.users = copy.deepcopy(USERS)
        self.tickets = copy.deepcopy(TICKETS)
        self.articles = copy.deepcopy(ARTICLES)
        self.tags = copy.deepcopy(TAGS)
        self.history = copy.deepcopy(HISTORY)
        self.broken: set[str] = set()
        self.limited = {"/api/v1/tickets:2"}
        self.server = FixtureServer(self.route)
        self.url = self.server.url

    def _page(self, items: list, query: dict[str, str]) -> Answer:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 100))
        return Answer(items[(page - 1) * per_page : page * per_page])

    def route(self, path: str, query: dict[str, str], server: FixtureServer) -> Answer | None:
        headers = server.asked[-1][2]
        if headers.get("Authorization") != f"Token token={TOKEN}":
            return Answer({"error": "Authentication required"}, 401)
        if path in self.broken:
            return Answer({"error": "Internal Server Error"}, 500)
        key = f"{path}:{query.get('page', '1')}"
        if key in self.limited:
            self.limited.discard(key)
            return Answer({"error": "Too Many Requests"}, 429, {"Retry-After": "1"})
        lists = {
            "/api/v1/organizations": self.organizations,
            "/api/v1/users": self.users,
            "/api/v1/tickets": self.tickets,
        }
        if path in lists:
            return self._page(lists[path], query)
        if path.startswith("/api/v1/ticket_articles/by_ticket/"):
            return Answer(self.articles.get(int(path.rsplit("/", 1)[1]), []))
        if path.startswith("/api/v1/ticket_history/"):
            ticket_id = int(path.rsplit("/", 1)[1])
            if ticket_id not in self.history:
                return None
            return Answer({"history": self.history[ticket_id], "assets": {}})
        if path == "/api/v1/tags":
            return Answer({"tags": self.tags.get(int(query["o_id"]), [])})
        if path.startswith("/api/v1/ticket_attachment/"):
            file_id = path.rsplit("/", 1)[1]
            return Answer(raw=FILES[file_id]) if file_id in FILES else None
        return None
