"""The queue's rows are written in Python from plain values (docs/performance.md, "List
rows"): whatever a customer typed is shown as text, and each cell says what the template said."""

from __future__ import annotations

from django.utils import translation

from supportal.accounts.models import Organization

HOSTILE = '<script>alert("x")</script> & "quoted" \'single\''


def _row_html(response, reference: str) -> str:
    (row,) = [row for row in response.context["tickets"] if row.reference == reference]
    return str(row.html)


def test_queue_row_escapes_what_customers_and_admins_typed(client, cast):
    cast.cristina.first_name = '<img src=x onerror="alert(1)">'
    cast.cristina.save(update_fields=["first_name"])
    Organization.objects.filter(pk=cast.cristina_srl.pk).update(name="<b>Evil</b> & Co")
    ticket = cast.ticket(summary=HOSTILE)
    client.force_login(cast.agent_help)

    response = client.get("/agent/", {"view": "all"})

    row = _row_html(response, ticket.reference)
    html = response.content.decode()
    assert row in html
    for raw in ("<script>", "<img src=x", "<b>Evil</b>", 'onerror="alert'):
        assert raw not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in row
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in row
    assert '<span class="muted">· &lt;b&gt;Evil&lt;/b&gt; &amp; Co</span>' in row


def test_queue_row_shows_reference_link_status_priority_and_assignee(client, cast):
    ticket = cast.ticket(summary="Imprimanta nu merge", priority=cast.high)
    client.force_login(cast.agent_help)
    with translation.override("en"):
        response = client.get("/agent/", {"view": "all"})

    row = _row_html(response, ticket.reference)
    assert f'<a href="/agent/tickets/{ticket.reference}/">{ticket.reference}</a>' in row
    assert f'aria-label="Select {ticket.reference}"' in row
    assert 'class="status status-waiting_for_support" title="Waiting for support"' in row
    assert f'<td class="one-line">{cast.high.name}</td>' in row
    assert '<td class="one-line">—</td>' in row  # nobody assigned
    assert "<time datetime=" in row


def test_queue_menus_escape_agent_and_desk_names_and_leave_out_the_reader(client, cast):
    """The bulk-action and saved-view menus are written in Python from the form's lists
    (docs/performance.md, "Sixth round"): names are shown as text."""
    cast.lead_help.first_name = '<img src=x onerror="alert(1)">'
    cast.lead_help.save(update_fields=["first_name"])
    cast.help_desk.name = "<b>Help</b> & Co"
    cast.help_desk.save(update_fields=["name"])
    client.force_login(cast.agent_help)
    with translation.override("en"):
        html = client.get("/agent/").content.decode()
    assert "<img src=x" not in html and "<b>Help</b>" not in html
    bulk_menu = html.split('id="id_bulk_assignee"')[1].split("</select>")[0]
    lead = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Lead"
    assert f'<option value="{cast.lead_help.pk}">{lead}</option>' in bulk_menu
    assert f'<option value="{cast.agent_help.pk}">' not in bulk_menu
    scopes = html.split('id="id_view_scope"')[1].split("</select>")[0]
    everyone = "Everyone on &lt;b&gt;Help&lt;/b&gt; &amp; Co"
    assert f'<option value="{cast.help_desk.pk}">{everyone}</option>' in scopes


def test_queue_sla_column_says_the_same_in_every_language_once_its_words_are_kept():
    # The rows translate each SLA message once per list (docs/performance.md, "Eleventh
    # round: the agent queue"): every row of a list says what gettext says for it.
    import datetime as dt

    from supportal.sla.selectors import queue_sla
    from supportal.workspace.queue_rows import _Writer

    now = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    rows = [
        {"sla_deadline_at": now + delta, "sla_warn_at": now, "sla_paused_clock_id": None}
        for delta in (
            dt.timedelta(minutes=5),
            dt.timedelta(hours=2),
            dt.timedelta(hours=2, minutes=7),
            dt.timedelta(days=1),
            dt.timedelta(days=3, hours=4),
            -dt.timedelta(minutes=30),
            -dt.timedelta(days=2, hours=1),
        )
    ]
    rows.append({"sla_deadline_at": None, "sla_warn_at": None, "sla_paused_clock_id": 7})
    for language in ("en", "ro", "cs"):
        with translation.override(language):
            writer = _Writer(now)
            kept = [queue_sla(row, now=now, translate=writer.translate) for row in rows * 2]
            assert kept == [queue_sla(row, now=now) for row in rows * 2]
    with translation.override("cs"):
        assert queue_sla(rows[-1], now=now).text == translation.gettext("paused")
