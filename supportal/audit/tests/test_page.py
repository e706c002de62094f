"""The audit log page: administrators see every entry, team leads their desks', others
nothing; filters; keyset pages at a constant number of queries; the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse
from django.utils import timezone

from supportal import audit
from supportal.audit.models import Action, AuditEntry
from supportal.replies import services as reply_services


def _many(cast, count: int) -> None:
    for number in range(count):
        audit.record(
            actor=cast.agent_help,
            action=Action.SETTINGS_CHANGED,
            obj=cast.help_desk,
            before={"name": f"old {number}"},
            after={"name": f"new {number}"},
        )


def test_an_administrator_reads_filters_and_pages_the_log(
    client, cast, django_assert_max_num_queries
):
    _many(cast, 60)
    audit.record(actor=cast.admin, action=Action.API_TOKEN_REVOKED)
    client.force_login(cast.admin)

    with django_assert_max_num_queries(12):
        first = client.get(reverse("workspace:audit"))
    assert first.status_code == 200
    page = first.content.decode()
    assert page.count("<tr>") == 51  # the header row and 50 entries
    assert "API token revoked" in page
    after = first.context["next_after"]

    with django_assert_max_num_queries(12):
        second = client.get(reverse("workspace:audit"), {"after": after})
    # 60 + the revoked token + the administrator's own log-in: 12 on the second page.
    assert second.content.decode().count("<tr>") == 1 + 12
    assert second.context["next_after"] is None

    filtered = client.get(
        reverse("workspace:audit"),
        {"person": "bogdan", "action": Action.SETTINGS_CHANGED, "object_text": "desks.desk"},
    )
    assert len(filtered.context["entries"]) == 50
    assert all(entry.action == Action.SETTINGS_CHANGED for entry in filtered.context["entries"])


def test_the_period_filter_reads_days_in_the_local_time_zone(client, cast):
    old = audit.record(
        actor=cast.admin, action=Action.LOGIN, now=timezone.now() - dt.timedelta(days=10)
    )
    audit.record(actor=cast.admin, action=Action.LOGIN)
    client.force_login(cast.admin)

    since = (timezone.localdate() - dt.timedelta(days=11)).isoformat()
    until = (timezone.localdate() - dt.timedelta(days=9)).isoformat()
    response = client.get(reverse("workspace:audit"), {"since": since, "until": until})

    assert [entry.pk for entry in response.context["entries"]] == [old.pk]


def test_a_team_lead_sees_only_the_entries_of_their_desks(client, cast):
    reply_services.canned_reply_save(
        actor=cast.lead_help, desk=cast.help_desk, title="Hello", body="Hi {requester_name}"
    )
    audit.record(actor=cast.admin, action=Action.SETTINGS_CHANGED, obj=cast.dev_desk)
    audit.record(actor=cast.admin, action=Action.ROLE_CHANGED, obj=cast.agent_dev)
    client.force_login(cast.lead_help)

    response = client.get(reverse("workspace:audit"))

    entries = response.context["entries"]
    assert [entry.action for entry in entries] == [Action.CANNED_REPLY_CHANGED]
    assert entries[0].after["title"] == "Hello"


def test_agents_who_lead_no_desk_and_customers_cannot_read_the_log(client, cast):
    audit.record(actor=cast.admin, action=Action.LOGIN)
    client.force_login(cast.agent_help)
    assert client.get(reverse("workspace:audit")).status_code == 404
    assert client.get(reverse("workspace:audit_csv")).status_code == 404
    client.force_login(cast.cristina)
    assert client.get(reverse("workspace:audit")).status_code == 403


def test_the_csv_export_has_the_filtered_entries_and_defuses_formulas(client, cast):
    audit.record(
        actor=cast.admin,
        action=Action.SETTINGS_CHANGED,
        obj=cast.help_desk,
        after={"name": "=HYPERLINK(1)"},
    )
    audit.record(actor=cast.admin, action=Action.LOGIN)
    client.force_login(cast.admin)

    response = client.get(reverse("workspace:audit_csv"), {"action": Action.SETTINGS_CHANGED})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    assert rows[1][1] == cast.admin.email
    assert rows[1][3] == Action.SETTINGS_CHANGED
    assert '"=HYPERLINK(1)"' in rows[1][8]
    # The export itself is recorded, with what was asked.
    [export] = AuditEntry.objects.filter(action=Action.EXPORTED)
    assert export.after == {"export": "audit_log", "action": Action.SETTINGS_CHANGED}


def test_the_csv_export_opens_in_a_romanian_or_czech_excel(client, cast):
    """docs/languages.md: a byte-order mark (Excel reads UTF-8) and ";" where the decimal
    separator is a comma, as the SLA report's CSV."""
    audit.record(actor=cast.admin, action=Action.SETTINGS_CHANGED, obj=cast.help_desk)
    cast.admin.language = "ro"
    cast.admin.save()
    client.force_login(cast.admin)

    response = client.get(reverse("workspace:audit_csv"), {"action": Action.SETTINGS_CHANGED})

    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows) == 2 and len(rows[0]) == len(rows[1]) == 11
    assert rows[1][1] == cast.admin.email
