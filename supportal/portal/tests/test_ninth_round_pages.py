"""The timeline and the SLA panel after the ninth performance round (docs/performance.md,
"Ninth round: the request page and the ticket page"): written in Python
(``tickets/timeline_html.py``, ``sla/panel_html.py``) instead of by the template engine. They
write what the templates wrote, byte for byte (the templates are kept beside this file as the
reference), for every kind of entry and every state of a clock, for customers and agents, in
English and in Czech, with hostile names, comments and file names still escaped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone, translation

from supportal.accounts.models import User
from supportal.sla.panel_html import sla_panel_html
from supportal.sla.selectors import GoalLine, HistoryLine, SlaPanel
from supportal.tickets.models import Attachment, Comment, Event
from supportal.tickets.timeline import TimelineEntry
from supportal.tickets.timeline_html import timeline_html

REFERENCE = Path(__file__).with_name("reference")
HOSTILE = '<b>"Bold"</b> & \'<script>alert(1)</script>'
AT = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # the night the clocks change in Prague


def _reference(name: str, context: dict[str, object]) -> str:
    template = engines["django"].from_string((REFERENCE / name).read_text())
    return template.render(context)


def _event(pk: int, kind: str, data: dict[str, object], **fields: object) -> Event:
    return Event(pk=pk, kind=kind, data=data, created_at=AT + dt.timedelta(hours=pk), **fields)


def _entries() -> list[TimelineEntry]:
    eve = User(pk=91, first_name=HOSTILE, last_name="Novák", email="eve@example.com")
    agent = User(pk=92, first_name="Agent", last_name="<i>Smith</i>", email="a@example.com")
    files = [
        Attachment(pk=7, file_name=f"{HOSTILE}.pdf", size=1_536_000),
        Attachment(pk=8, file_name="plain.txt", size=999),
    ]
    comment = Comment(pk=5, body=f"See https://example.com/a?b=1&c=<x>). {HOSTILE}")
    commented = _event(3, "commented", {}, actor=eve, comment=comment)
    added = {"attachment_id": 7, "file_name": HOSTILE}
    status = {"action": "resolve", "from_status": "new", "to_status": "resolved"}
    entries = [
        TimelineEntry(_event(1, "created", {"status": "new", "submission_method": "phone"}), "t1"),
        TimelineEntry(_event(2, "created", {"status": "new", "submission_method": "email"}), "t"),
        TimelineEntry(_event(4, "created", {"status": "new", "submission_method": "web"}), "t"),
        TimelineEntry(commented, HOSTILE, files=files, sender_unverified=True),
        TimelineEntry(
            _event(6, "commented", {}, actor=agent, comment=comment, is_public=False),
            "note",
            remarks=[HOSTILE, "via IMAP"],
            original_url=f"/mail/1/?a=1&b={HOSTILE}",
            folded=[
                TimelineEntry(_event(9, "attachment_added", added), f"sub {HOSTILE}"),
                TimelineEntry(_event(10, "attachment_added", added), "sub", files=files[:1]),
                TimelineEntry(_event(11, "participant_added", {"user_id": 91}), "shared"),
            ],
        ),
        TimelineEntry(_event(12, "commented", {}, actor=eve), "no comment"),
        TimelineEntry(
            _event(13, "status_changed", {**status, "resolution": f"Fixed {HOSTILE} http://x.cz"}),
            "resolved",
            reason_label=HOSTILE,
        ),
        TimelineEntry(_event(14, "status_changed", {**status, "to_status": "waiting"}), "s"),
        TimelineEntry(_event(15, "attachment_added", added, actor=agent), "f", files=files[:1]),
        TimelineEntry(_event(16, "assigned", {"assignee_id": 92}), "a", person=agent),
        TimelineEntry(_event(17, "assigned", {"assignee_id": None}), "a"),
        TimelineEntry(_event(18, "participant_added", {"user_id": 91}), "p", person=eve),
        TimelineEntry(_event(19, "participant_added", {"user_id": 93}), "p"),
        TimelineEntry(_event(20, "participant_removed", {"user_id": 91}), "p", person=eve),
        TimelineEntry(_event(21, "participant_removed", {"user_id": 93}), "p"),
        *_customer_steps(),
    ]
    entries.append(
        TimelineEntry(
            _event(30, "field_changed", {"field": "priority", "old": 1, "new": 2}),
            "changed",
            field_label=HOSTILE,
        )
    )
    return entries


def _customer_steps() -> list[TimelineEntry]:
    quote = {"quote_id": 1, "price": "1234.50", "currency": "EUR"}
    return [
        TimelineEntry(_event(22, "quote_proposed", {**quote, "deadline": "2026-04-01"}), "q"),
        TimelineEntry(_event(23, "quote_proposed", {**quote, "currency": HOSTILE}), "q"),
        TimelineEntry(_event(24, "quote_answered", {"quote_id": 1, "state": "accepted"}), "q"),
        TimelineEntry(_event(25, "quote_answered", {"quote_id": 1, "state": "declined"}), "q"),
        TimelineEntry(_event(26, "feedback_given", {"rating": 4}), "r"),
        TimelineEntry(_event(27, "notifications_changed", {"is_muted": True}), "n"),
        TimelineEntry(
            _event(
                28,
                "field_changed",
                {"field": "summary", "old": "a", "new": "b", "new_label": HOSTILE},
            ),
            "changed",
            field_label="Summary",
        ),
    ]


@pytest.mark.parametrize("language", ["en", "cs"])
@pytest.mark.parametrize("audience", ["customer", "agent"])
def test_the_timeline_writes_what_its_template_wrote(language, audience):
    entries = _entries()
    with translation.override(language), timezone.override("Europe/Prague"):
        for shown in (entries, []):
            expected = _reference("timeline.html", {"timeline": shown, "audience": audience})
            assert timeline_html(shown, audience=audience) == expected
        written = timeline_html(entries, audience=audience)
    assert "<script>" not in written and "<b>" not in written and "<i>" not in written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in written


def _goal(goal: str, state: str, **fields: object) -> GoalLine:
    values: dict[str, object] = {
        "name": f"Goal {HOSTILE}",
        "target_duration": dt.timedelta(hours=8),
        "used_duration": dt.timedelta(hours=2, minutes=5),
        "remaining_duration": dt.timedelta(hours=5, minutes=55),
        "overdue_duration": dt.timedelta(0),
        "is_overdue": False,
        "status_text": HOSTILE,
        "deadline_at": None,
        "stopped_at": None,
        "history": (HistoryLine(AT, HOSTILE), HistoryLine(AT + dt.timedelta(days=1), "b")),
    }
    values.update(fields)
    return GoalLine(goal=goal, state=state, **values)  # type: ignore[arg-type]


def _panels() -> list[SlaPanel | None]:
    late = dt.timedelta(minutes=3)
    goals = (
        _goal("first_response", "running", deadline_at=AT),
        _goal("resolution", "running", is_overdue=True, overdue_duration=late, deadline_at=AT),
        _goal("resolution", "paused", history=()),
        _goal("first_response", "met", is_overdue=True, overdue_duration=dt.timedelta(seconds=59)),
        _goal("resolution", "stopped", stopped_at=AT),
        _goal("resolution", "met"),
    )
    reply = _goal("customer_reply", "running", deadline_at=AT, is_overdue=True)
    return [
        None,
        SlaPanel(goals=goals, reply=reply, time_zone="Europe/Prague", is_for_customer=True),
        SlaPanel(goals=goals, reply=reply, time_zone="America/New_York", is_for_customer=False),
        SlaPanel(
            goals=(), reply=_goal("customer_reply", "paused"), time_zone="UTC", is_for_customer=True
        ),
        SlaPanel(goals=goals[:1], reply=None, time_zone="Asia/Kolkata", is_for_customer=False),
    ]


@pytest.mark.parametrize("language", ["en", "cs"])
def test_the_sla_panel_writes_what_its_template_wrote(language):
    with translation.override(language), timezone.override("Europe/Bucharest"):
        for panel in _panels():
            assert sla_panel_html(panel) == _reference("sla_panel.html", {"sla": panel})
        written = sla_panel_html(_panels()[1])
    assert "<script>" not in written and "<b>" not in written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in written


def test_a_decimal_price_is_written_in_the_language_s_format():
    entry = TimelineEntry(
        _event(1, "quote_proposed", {"quote_id": 1, "price": "1", "currency": "CZK"}), "q"
    )
    entry.event.payload.__dict__["price"] = Decimal("1234.5")  # a payload read as a number
    with translation.override("cs"):
        expected = _reference("timeline.html", {"timeline": [entry], "audience": "customer"})
        assert timeline_html([entry], audience="customer") == expected
    assert "1234,5" in expected
