"""The customer list's rows are written in Python from plain values (docs/performance.md,
"List rows"): whatever was typed is shown as text, names in the reader's language."""

from __future__ import annotations

from supportal.desks.models import Desk, RequestType

HOSTILE = '<script>alert("x")</script> & "quoted"'


def _row_html(response, reference: str) -> str:
    (row,) = [row for row in response.context["tickets"] if row.reference == reference]
    return str(row.html)


def test_list_row_escapes_summary_names_desk_and_type(client, cast):
    cast.cristina.last_name = '<img src=x onerror="alert(1)">'
    cast.cristina.save(update_fields=["last_name"])
    Desk.objects.filter(pk=cast.help_desk.pk).update(name_en="<i>Help</i>", name="<i>Help</i>")
    RequestType.objects.filter(pk=cast.question.pk).update(name_en="Q&A <b>", name="Q&A <b>")
    ticket = cast.ticket(summary=HOSTILE, request_type=cast.question)
    client.force_login(cast.cristina)

    response = client.get("/")

    row = _row_html(response, ticket.reference)
    assert row in response.content.decode()
    for raw in ("<script>", "<img", "<i>Help", "<b>"):
        assert raw not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in row
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in row
    assert "&lt;i&gt;Help&lt;/i&gt;" in row
    assert "Q&amp;A &lt;b&gt;" in row


def test_list_row_names_are_in_the_readers_language_with_the_sites_as_fallback(client, cast):
    Desk.objects.filter(pk=cast.help_desk.pk).update(name_ro="Asistență", name_cs="")
    RequestType.objects.filter(pk=cast.question.pk).update(name_ro="", name_cs="")
    ticket = cast.ticket(request_type=cast.question)
    cast.cristina.language = "ro"
    cast.cristina.save(update_fields=["language"])
    client.force_login(cast.cristina)

    row = _row_html(client.get("/"), ticket.reference)

    assert '<td data-label="Birou de asistență">Asistență</td>' in row
    # No Romanian name: the site's language (English) is shown, as the model would give it.
    cast.question.refresh_from_db()
    assert f'<td data-label="Tip">{cast.question.name_en}</td>' in row
    assert f'<a href="/requests/{ticket.reference}/">{ticket.reference}</a>' in row
