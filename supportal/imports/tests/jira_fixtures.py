"""Jira Service Management answers (REST API 2 and the service desk API), shaped as Atlassian
documents them: paged ``values`` with ``isLastPage``, the search's ``startAt``/``total``,
the changelog's status items, comments with ``public`` and ``created.iso8601``. Romanian and
Czech content; a 429 in the middle; a reporter Jira no longer has; a key taken here already."""

from __future__ import annotations

import copy

from supportal.imports.tests.server import Answer, FixtureServer

INVOICE = b"%PDF-1.4\n% factura 0042\n" + b"1" * 3000
SCREEN = b"\x89PNG\r\n\x1a\n" + b"\x02" * 700
EXPORT = "Objednávka;Stav\n4711;chyba\n".encode() * 20
FILES = {"10300": INVOICE, "10301": SCREEN, "10302": EXPORT}


def user(key, name, email, *, active=True):
    return {
        "key": key,
        "name": key,
        "emailAddress": email,
        "displayName": name,
        "active": active,
        "timeZone": "Europe/Bucharest",
        "_links": {"self": f"https://jira.example/rest/api/2/user?username={key}"},
    }


IOANA = user("ioana.m", "Ioana Marinescu", "ioana.marinescu@suport-firma.ro")
MIHAI = user("mihai.p", "Mihai Popescu", "mihai.popescu@transilvania.ro")
ELENA = user("elena.d", "Elena Dumitru", "elena.dumitru@transilvania.ro")
JANA = user("jana.s", "Jana Svobodová", "jana.svobodova@plzenske.cz")
GONE = user("andrei.v", "Andrei Vechi", "andrei.vechi@transilvania.ro", active=False)


def paged(values, *, start=0, last=True):
    return {
        "_expands": [],
        "size": len(values),
        "start": start,
        "limit": 50,
        "isLastPage": last,
        "_links": {"base": "https://jira.example/rest/servicedeskapi", "context": ""},
        "values": values,
    }


def _when(iso):
    return {
        "iso8601": iso,
        "jira": iso.replace("+0200", ".000+0200"),
        "friendly": iso[:16],
        "epochMillis": 0,
    }


def _status(name, status_id):
    return {
        "self": f"https://jira.example/rest/api/2/status/{status_id}",
        "description": "",
        "iconUrl": "https://jira.example/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": {"id": 4, "key": "indeterminate", "colorName": "yellow"},
    }


def _attachment(url, file_id, name, mime, author, created):
    return {
        "self": f"{url}/rest/api/2/attachment/{file_id}",
        "id": file_id,
        "filename": name,
        "author": author,
        "created": created,
        "size": len(FILES[file_id]),
        "mimeType": mime,
        "content": f"{url}/secure/attachment/{file_id}/{name}",
    }


def _history(history_id, author, created, to_name, from_name="Waiting for support"):
    return {
        "id": history_id,
        "author": author,
        "created": created,
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "from": "10001",
                "fromString": from_name,
                "to": "10002",
                "toString": to_name,
            }
        ],
    }


_TYPES = "com.atlassian.jira.plugin.system.customfieldtypes:"


def _field(field_id, name, schema_type, custom):
    """A field as ``GET /rest/api/2/field`` lists it."""
    number = int(field_id.rpartition("_")[2]) if field_id.startswith("customfield_") else None
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": number is not None,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]" if number else field_id, name],
        "schema": (
            {"type": schema_type, "custom": custom, "customId": number}
            if number
            else {"type": schema_type, "system": field_id}
        ),
    }


FIELDS = [
    _field("summary", "Summary", "string", None),
    _field("priority", "Priority", "priority", None),
    _field(
        "customfield_10010",
        "Customer Request Type",
        "sd-customerrequesttype",
        "com.atlassian.servicedesk:vp-origin",
    ),
    _field(
        "customfield_10005",
        "Request participants",
        "array",
        "com.atlassian.servicedesk:sd-request-participants",
    ),
    _field(
        "customfield_10030",
        "Time to resolution",
        "sd-servicelevelagreement",
        "com.atlassian.servicedesk:sd-sla-field",
    ),
    _field("customfield_10020", "Cod magazin", "string", f"{_TYPES}textfield"),
    _field("customfield_10021", "Sistem afectat", "option", f"{_TYPES}select"),
    _field("customfield_10022", "Valoare comandă", "number", f"{_TYPES}float"),
    _field("customfield_10023", "Data incidentului", "date", f"{_TYPES}datepicker"),
]


def _request_type(type_id, name):
    """The "Customer Request Type" field's value in an issue, as the search returns it."""
    return {
        "_links": {"jiraRest": "https://jira.example/rest/api/2/issue/10161"},
        "requestType": {
            "id": type_id,
            "_links": {
                "self": f"https://jira.example/rest/servicedeskapi/servicedesk/1/requesttype/{type_id}"
            },
            "name": name,
            "description": "",
            "helpText": "",
            "serviceDeskId": "1",
            "groupIds": ["1"],
        },
        "currentStatus": {"status": "Resolved", "statusCategory": "DONE"},
    }


def _option(option_id, value):
    return {
        "self": f"https://jira.example/rest/api/2/customFieldOption/{option_id}",
        "value": value,
        "id": option_id,
        "disabled": False,
    }


def _priority(name, priority_id):
    return {
        "self": f"https://jira.example/rest/api/2/priority/{priority_id}",
        "iconUrl": "https://jira.example/images/icons/priorities/high.svg",
        "name": name,
        "id": priority_id,
    }


def _duplicate_link(link_id, issue_id, key, summary):
    return {
        "id": link_id,
        "self": f"https://jira.example/rest/api/2/issueLink/{link_id}",
        "type": {
            "id": "10002",
            "name": "Duplicate",
            "inward": "is duplicated by",
            "outward": "duplicates",
        },
        "outwardIssue": {
            "id": issue_id,
            "key": key,
            "self": f"https://jira.example/rest/api/2/issue/{issue_id}",
            "fields": {"summary": summary, "status": _status("Resolved", "5")},
        },
    }


def _issue(issue_id, key, fields, histories=()):
    return {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": issue_id,
        "self": f"https://jira.example/rest/api/2/issue/{issue_id}",
        "key": key,
        "changelog": {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": list(histories),
        },
        "fields": fields,
    }


def issues(url):
    first = _issue(
        "10001",
        "HELP-1",
        {
            "summary": "Parola portalului a expirat",
            "description": "Nu mă pot autentifica în portal.",
            "status": _status("Closed", "6"),
            "created": "2023-11-02T08:00:00.000+0200",
            "updated": "2023-11-02T09:00:00.000+0200",
            "reporter": MIHAI,
            "assignee": IOANA,
            "attachment": [],
            "resolution": {"name": "Done"},
        },
        [_history("20000", IOANA, "2023-11-02T09:00:00.000+0200", "Closed")],
    )
    second = _issue(
        "10161",
        "HELP-161",
        {
            "summary": "Facturile nu ajung la distribuitor prin EDI",
            "description": "Facturile din 3 martie nu au ajuns la Dedeman.",
            "status": _status("Resolved", "5"),
            "created": "2024-03-04T09:00:00.000+0200",
            "updated": "2024-03-05T11:00:00.000+0200",
            "reporter": MIHAI,
            "assignee": IOANA,
            "attachment": [
                _attachment(
                    url,
                    "10300",
                    "factura-0042.pdf",
                    "application/pdf",
                    MIHAI,
                    "2024-03-04T09:00:00.000+0200",
                ),
                _attachment(
                    url, "10301", "captura.png", "image/png", MIHAI, "2024-03-04T10:00:00.000+0200"
                ),
            ],
            "resolution": {"name": "Done"},
            "priority": _priority("High", "2"),
            "issuelinks": [],
            "customfield_10010": _request_type("11", "Problemă EDI"),
            "customfield_10005": [ELENA],
            "customfield_10030": {"id": "1", "name": "Time to resolution"},
            "customfield_10020": "MAG-0042",
            "customfield_10021": _option("10100", "EDI"),
            "customfield_10022": 1520.5,
            "customfield_10023": "2024-03-03",
        },
        [
            _history("20001", IOANA, "2024-03-04T09:20:00.000+0200", "In Progress"),
            _history(
                "20002",
                IOANA,
                "2024-03-04T09:30:00.000+0200",
                "Waiting for customer",
                "In Progress",
            ),
            _history(
                "20003",
                MIHAI,
                "2024-03-04T10:00:00.000+0200",
                "Waiting for support",
                "Waiting for customer",
            ),
            _history(
                "20004", IOANA, "2024-03-05T11:00:00.000+0200", "Resolved", "Waiting for support"
            ),
        ],
    )
    third = _issue(
        "10162",
        "HELP-162",
        {
            "summary": "Export objednávek do účetnictví končí chybou",
            "description": "Dobrý den, export objednávek končí chybou 500.",
            "status": _status("Escalated", "10010"),
            "created": "2024-03-06T10:00:00.000+0100",
            "updated": "2024-03-06T12:00:00.000+0100",
            "reporter": JANA,
            "assignee": IOANA,
            "attachment": [
                _attachment(
                    url, "10302", "export.csv", "text/csv", JANA, "2024-03-06T10:00:00.000+0100"
                ),
            ],
            "resolution": None,
            "priority": _priority("Medium", "3"),
            "issuelinks": [],
            "customfield_10010": _request_type("12", "Dotaz"),
            "customfield_10020": None,
            "customfield_10021": _option("10102", "Účetnictví"),
            "customfield_10022": None,
            "customfield_10023": None,
        },
        [_history("20005", IOANA, "2024-03-06T12:00:00.000+0100", "Escalated")],
    )
    fourth = _issue(
        "10163",
        "HELP-163",
        {
            "summary": "Acces pentru un coleg plecat",
            "description": "Vă rog dezactivați contul.",
            "status": _status("Waiting for support", "10001"),
            "created": "2024-03-07T08:00:00.000+0200",
            "updated": "2024-03-07T08:00:00.000+0200",
            "reporter": GONE,
            "assignee": None,
            "attachment": [],
            "resolution": None,
        },
    )
    # Closed as a duplicate of HELP-161, linked to it.
    duplicate = _issue(
        "10164",
        "HELP-164",
        {
            "summary": "Facturile EDI tot nu ajung",
            "description": "Nici azi nu au ajuns facturile.",
            "status": _status("Closed", "6"),
            "created": "2024-03-04T11:00:00.000+0200",
            "updated": "2024-03-04T11:20:00.000+0200",
            "reporter": MIHAI,
            "assignee": IOANA,
            "attachment": [],
            "resolution": {"name": "Duplicate"},
            "priority": _priority("High", "2"),
            "issuelinks": [
                _duplicate_link("10400", "10161", "HELP-161", "Facturile nu ajung la distribuitor")
            ],
            "customfield_10010": _request_type("11", "Problemă EDI"),
        },
        [_history("20006", IOANA, "2024-03-04T11:20:00.000+0200", "Closed")],
    )
    return [first, second], [third, fourth, duplicate]


def comments():
    return {
        "HELP-1": [],
        "HELP-161": [
            {
                "id": "30001",
                "body": "Bună ziua, puteți trimite o captură de ecran?",
                "public": True,
                "author": IOANA,
                "created": _when("2024-03-04T09:30:00+0200"),
            },
            {
                "id": "30002",
                "body": "Intern: certificatul AS2 al Dedeman a expirat.",
                "public": False,
                "author": IOANA,
                "created": _when("2024-03-04T09:35:00+0200"),
            },
            {
                "id": "30003",
                "body": "Am atașat captura. !captura.png|thumbnail!",
                "public": True,
                "author": MIHAI,
                "created": _when("2024-03-04T10:00:00+0200"),
            },
            {
                "id": "30004",
                "body": "Certificatul a fost reînnoit; facturile au plecat.",
                "public": True,
                "author": IOANA,
                "created": _when("2024-03-05T11:00:00+0200"),
            },
        ],
        "HELP-162": [
            {
                "id": "30005",
                "body": "Předáno dodavateli účetního systému.",
                "public": True,
                "author": IOANA,
                "created": _when("2024-03-06T12:00:00+0100"),
            }
        ],
        "HELP-163": [],
        "HELP-164": [],
    }


def _only(issue, fields):
    """The issue with the fields asked for only, as the search answers (``*all``: all)."""
    issue = copy.deepcopy(issue)
    if fields != "*all":
        wanted = set(fields.split(","))
        issue["fields"] = {k: v for k, v in issue["fields"].items() if k in wanted}
    return issue


def _truncate_changelog(issue):
    """As Cloud's search does past its limit: the first histories, and the true total."""
    changelog = issue["changelog"]
    rest = changelog["histories"][2:]
    changelog["histories"] = changelog["histories"][:2]
    changelog["maxResults"] = 2
    return rest


class Jira:
    def __init__(self) -> None:
        self.server = FixtureServer(self.answer)
        self.url = self.server.url
        self.issues = issues(self.url)
        self.changelog_rest = {"HELP-161": _truncate_changelog(self.issues[0][1])}
        self.comments = comments()
        self.participants = {"HELP-161": [ELENA]}
        self.throttled = False
        self.broken: set[str] = set()

    def answer(self, path, query, server):
        if path in self.broken:
            return Answer({"errorMessages": ["Internal server error"]}, 500)
        if path.startswith("/secure/attachment/"):
            return Answer(raw=FILES[path.split("/")[3]])
        start = int(query.get("start", 0))
        if path == "/rest/servicedeskapi/servicedesk":
            return Answer(
                paged(
                    [
                        {
                            "id": "1",
                            "projectId": "10000",
                            "projectName": "Helpdesk",
                            "projectKey": "HELP",
                        }
                    ]
                )
            )
        if path == "/rest/servicedeskapi/servicedesk/1/organization":
            return Answer(
                paged(
                    [
                        {"id": "1", "name": "Transilvania Distribuție SRL"},
                        {"id": "2", "name": "Plzeňské obchody s.r.o."},
                    ]
                )
            )
        if path == "/rest/servicedeskapi/organization/1/user":
            return Answer(paged([MIHAI, ELENA]))
        if path == "/rest/servicedeskapi/organization/2/user":
            return Answer(paged([JANA]))
        if path == "/rest/servicedeskapi/servicedesk/1/customer":
            if start == 0:
                return Answer(paged([MIHAI], last=False))
            return Answer(paged([JANA], start=start))
        if path == "/rest/api/2/search":
            page = int(query.get("startAt", 0))
            found = self.issues[0] if page == 0 else self.issues[1]
            if page and not self.throttled:
                self.throttled = True
                return Answer(
                    {"errorMessages": ["Rate limit exceeded."]},
                    429,
                    headers={"Retry-After": "2", "X-RateLimit-Limit": "100"},
                )
            return Answer(
                {
                    "expand": "schema,names",
                    "startAt": page,
                    "maxResults": 50,
                    "total": 5,
                    "issues": [_only(issue, query.get("fields", "*all")) for issue in found],
                }
            )
        if path == "/rest/api/2/field":
            return Answer(FIELDS)
        parts = path.split("/")
        if path.startswith("/rest/api/2/issue/") and parts[-1] == "changelog":
            rest = self.changelog_rest.get(parts[5], [])
            at = int(query.get("startAt", 0)) - 2
            return Answer(
                {
                    "self": f"{self.url}{path}",
                    "maxResults": 100,
                    "startAt": at + 2,
                    "total": 2 + len(rest),
                    "isLast": True,
                    "values": rest[at:],
                }
            )
        if path.startswith("/rest/servicedeskapi/request/") and parts[-1] == "comment":
            return Answer(paged(copy.deepcopy(self.comments.get(parts[4], []))))
        if path.startswith("/rest/servicedeskapi/request/") and parts[-1] == "participant":
            return Answer(paged(self.participants.get(parts[4], [])))
        return None
