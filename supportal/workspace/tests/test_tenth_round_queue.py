"""The agent queue page after the tenth performance round (docs/performance.md, "Tenth round:
the agent queue"): its own markup written in Python (``workspace/queue_html.py``) instead of by
the template engine. The page is what the template wrote, byte for byte (the template is kept
beside this file as the reference), for the agent, the team lead and the administrator, in
English and Czech, on every queue, with filters, searches, saved views, empty queues and
pages, with hostile summaries, names and view names still escaped."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.humanize.templatetags import humanize
from django.http import HttpResponse, QueryDict
from django.template import engines
from django.utils import translation

from supportal.desks.models import Priority
from supportal.replies import services as reply_services
from supportal.tickets import services
from supportal.tickets.workflow import Action
from supportal.workspace.forms import QueueFilterForm
from supportal.workspace.views import queue as queue_views

REFERENCE = Path(__file__).with_name("reference")
HOSTILE = '<b>"Bold"</b> & \'<script>alert(1)</script>'
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _masked(html: str) -> str:
    """The page with its CSRF token masked (a new mask per request), once it is found to be
    the same token in every form of the page, as the template engine wrote it."""
    assert len(set(CSRF.findall(html))) == 1
    return CSRF.sub('name="csrfmiddlewaretoken" value="X"', html)


def _reference_render(request, template_name, context):
    """``render`` of the view with the reference template instead of the page's."""
    assert template_name == "workspace/queue.html"
    template = engines["django"].from_string((REFERENCE / "queue.html").read_text())
    return HttpResponse(template.render(context, request))


def _fix_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One moment for both pages (the "updated" column says how long ago, to the second)."""
    fixed = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=90)

    class FixedClock(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return fixed if tz else fixed.replace(tzinfo=None)

    monkeypatch.setattr("django.utils.timezone.now", lambda: fixed)
    monkeypatch.setattr(humanize, "datetime", FixedClock)


def _both(client, url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The page as written now, and as the reference template writes it from the same
    context (the same clock, the same CSRF token once masked)."""
    written = client.get(url)
    assert written.status_code == 200
    with monkeypatch.context() as patched:
        patched.setattr(queue_views, "render", _reference_render)
        expected = client.get(url)
    return _masked(written.content.decode()), _masked(expected.content.decode())


URLS = (
    "/agent/",
    "/agent/?view=unassigned",
    "/agent/?view=mine",
    "/agent/?view=waiting_for_customer",
    "/agent/?view=waiting_for_third_party",
    "/agent/?view=resolved",
    "/agent/?view=at_risk",
    "/agent/?view=open&sort=priority",
    "/agent/?view=all&sort=created&page=2",
    "/agent/?view=all&page=3",
    "/agent/?view=all&status=new&assignee=none&company=a%22b%3C",
    "/agent/?view=all&created_from=never&desk=x",
    "/agent/?view=all&q=Bold",
    "/agent/?view=all&q=Bold&sort=updated",
    "/agent/?view=all&q=nothing-matches-this",
    "/agent/?view=all&q=%3Cscript%3E",
    "/agent/?view=nope",
)


@pytest.fixture
def busy_queue(cast, monkeypatch):
    """Five requests of the help desk (pages of two), one of them hostile and taken, one
    resolved; saved views of every kind, one with a hostile name."""
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 2)
    monkeypatch.setattr(queue_views, "SEARCH_RANKED", 1)
    hostile = cast.ticket(summary=HOSTILE, details="Bold text")
    services.ticket_transition(ticket=hostile, actor=cast.agent_help, action=Action.TAKE)
    resolved = cast.ticket(summary="Bold resolved")
    services.ticket_transition(
        ticket=resolved, actor=cast.lead_help, action=Action.RESOLVE, resolution="Done."
    )
    for _ in range(3):
        cast.ticket()
    cast.cristina.first_name = HOSTILE
    cast.cristina.save(update_fields=["first_name"])
    params = {"view": ["open"], "q": [HOSTILE]}
    for actor in (cast.agent_help, cast.lead_help, cast.admin):
        reply_services.saved_view_create(actor=actor, name=f"{HOSTILE} mine", params=params)
    reply_services.saved_view_create(
        actor=cast.agent_help, name="Desk view", params={"view": ["at_risk"]}, desk=cast.help_desk
    )
    return cast


@pytest.mark.parametrize("language", ["en", "cs"])
@pytest.mark.parametrize("who", ["agent_help", "lead_help", "admin"])
def test_queue_pages_are_what_the_template_wrote(client, busy_queue, monkeypatch, who, language):
    user = getattr(busy_queue, who)
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    _fix_clock(monkeypatch)
    pages = []
    for url in URLS:
        written, expected = _both(client, url, monkeypatch)
        assert written == expected, url
        assert "<script>alert" not in written
        pages.append(written)
    every = "".join(pages)
    # Every part of the page was written at least once: the pages' links, the search's
    # note, the filters opened on an error, the filters' count, an empty queue, saved views.
    for part in (
        'rel="next"',
        'rel="prev"',
        'role="status"',
        '<details class="menu" open>',
        '<span class="count">2</span>',
        'colspan="9"',
        "&lt;script&gt;alert(1)&lt;/script&gt; mine",
        'class="link" aria-label=',
        f'<span class="muted">({busy_queue.help_desk.key})</span>',
    ):
        assert part in every, part


def test_an_empty_queue_without_saved_views_is_what_the_template_wrote(client, cast, monkeypatch):
    client.force_login(cast.agent_dev)
    _fix_clock(monkeypatch)
    for url in ("/agent/", "/agent/?view=at_risk", "/agent/?view=all&q=word"):
        written, expected = _both(client, url, monkeypatch)
        assert written == expected, url
        assert "Nothing in this queue." in written


def _filters(user, data: str = "") -> tuple[str, str]:
    """The filters as the page writes them (kept when no filter is set), and as written anew."""
    kept = QueueFilterForm(QueryDict(data), user=user).filter_fields_html()
    return kept, QueueFilterForm(QueryDict(data), user=user)._filter_fields_html()


@pytest.mark.parametrize("language", ["en", "cs"])
def test_the_filters_kept_are_those_written_anew(cast, language):
    with translation.override(language):
        for data in ("", "view=at_risk&sort=priority", "q=word", "desk=&status="):
            kept, fresh = _filters(cast.lead_help, data)
            assert kept == fresh, data
            assert _filters(cast.lead_help, data)[0] == fresh, data  # kept, asked again
        kept, fresh = _filters(cast.lead_help, f"status=in_progress&desk={cast.help_desk.pk}")
        assert kept == fresh
        assert 'value="in_progress" selected' in kept


def test_the_filters_kept_follow_the_agents_names_and_the_desks_configuration(cast):
    _filters(cast.lead_help)
    cast.agent_help.first_name = "Renamed <Agent>"
    cast.agent_help.save(update_fields=["first_name"])
    kept, fresh = _filters(cast.lead_help)
    assert "Renamed &lt;Agent&gt;" in kept
    assert kept == fresh
    Priority.objects.create(name="Blocking & urgent", rank=99)  # moves the desks' version
    kept, fresh = _filters(cast.lead_help)
    assert "Blocking &amp; urgent" in kept
    assert kept == fresh
    cast.dev_desk.name = "Renamed desk"
    cast.dev_desk.save()
    kept, _fresh = _filters(cast.lead_help)
    assert ("Renamed desk" in kept) == any(d.pk == cast.dev_desk.pk for d in _desks(cast))


def _desks(cast):
    return QueueFilterForm(QueryDict(""), user=cast.lead_help).desks
