"""The workspace's quarantined mail: agents of the receiving desk list, read and decide it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.desks.models import Desk
from supportal.mail.models import InboundState
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.tickets.models import Ticket


@pytest.fixture
def stranger_mail(cast):
    ticket = cast.ticket()
    message = deliver(
        mail(
            sender="spam@evil.test",
            subject=f"Re: {ticket.reference} <script>x</script>",
            body="<script>alert(1)</script> please",
        )
    )
    assert message.state == InboundState.QUARANTINED
    return message


def test_an_agent_lists_the_quarantined_mail_of_their_desk(client, cast, stranger_mail):
    client.force_login(cast.agent_help)
    response = client.get(reverse("workspace:quarantine"))
    assert response.status_code == 200
    assert "spam@evil.test" in response.text
    assert "may not see" in response.text
    assert "Quarantined mail (1)" in response.text
    assert "<script>x</script>" not in response.text


def test_an_agent_of_another_desk_neither_sees_nor_decides_the_mail(client, cast, stranger_mail):
    client.force_login(cast.agent_dev)
    assert "spam@evil.test" not in client.get(reverse("workspace:quarantine")).text
    detail = reverse("workspace:quarantine_detail", args=[stranger_mail.pk])
    assert client.get(detail).status_code == 404
    for decision in ("attach", "new", "discard"):
        url = reverse("workspace:quarantine_decide", args=[stranger_mail.pk, decision])
        assert client.post(url).status_code == 404
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.QUARANTINED


def test_customers_and_anonymous_visitors_never_reach_the_quarantine(client, cast, stranger_mail):
    pages = [
        reverse("workspace:quarantine"),
        reverse("workspace:quarantine_detail", args=[stranger_mail.pk]),
    ]
    decision = reverse("workspace:quarantine_decide", args=[stranger_mail.pk, "discard"])
    for user in (None, cast.cristina):
        if user:
            client.force_login(user)
        refused = 403 if user else 302  # customers: the "for the support team" page
        for url in pages:
            assert client.get(url).status_code == refused, (user, url)
        assert client.post(decision).status_code == refused
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.QUARANTINED


def test_the_text_of_a_quarantined_mail_is_shown_as_text_never_as_html(client, cast, stranger_mail):
    client.force_login(cast.agent_help)
    response = client.get(reverse("workspace:quarantine_detail", args=[stranger_mail.pk]))
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; please" in response.text
    assert "<script>alert(1)" not in response.text


def test_attaching_keeps_a_stranger_s_mail_as_an_internal_note(client, cast, stranger_mail):
    client.force_login(cast.agent_help)
    url = reverse("workspace:quarantine_decide", args=[stranger_mail.pk, "attach"])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    ticket = Ticket.objects.get(reference=stranger_mail.outcome["reference"])
    assert not ticket.comments.get(author__email="spam@evil.test").is_public
    assert "Quarantined mail (0)" in response.text


def test_making_a_new_request_of_a_quarantined_mail(client, cast, stranger_mail):
    client.force_login(cast.agent_help)
    url = reverse("workspace:quarantine_decide", args=[stranger_mail.pk, "new"])
    client.post(url)
    stranger_mail.refresh_from_db()
    assert stranger_mail.outcome["result"] == "created"
    assert Ticket.objects.filter(requester__email="spam@evil.test").count() == 1


def test_discarding_keeps_the_mail_marked_ignored(client, cast, stranger_mail):
    client.force_login(cast.lead_help)
    url = reverse("workspace:quarantine_decide", args=[stranger_mail.pk, "discard"])
    assert client.post(url).status_code == 302
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.IGNORED
    assert client.get(url).status_code == 405


def test_a_superuser_sees_mail_no_desk_received(client, cast):
    Desk.objects.update(email_address="")
    Desk.objects.filter(pk=cast.help_desk.pk).update(is_active=False)
    Desk.objects.filter(pk=cast.dev_desk.pk).update(is_active=False)
    message = deliver(mail(sender="lost@nowhere.test", to="nobody@elsewhere.test"))
    assert message.state == InboundState.QUARANTINED
    client.force_login(cast.admin)
    assert "lost@nowhere.test" in client.get(reverse("workspace:quarantine")).text
    client.force_login(cast.agent_help)
    assert "lost@nowhere.test" not in client.get(reverse("workspace:quarantine")).text


def test_quarantine_list_queries_do_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    client.force_login(cast.agent_help)
    deliver(mail(sender="a@evil.test", subject=f"Re: {cast.ticket().reference}"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("workspace:quarantine"))
    for number in range(5):
        deliver(mail(sender=f"s{number}@evil.test", subject=f"Re: {cast.ticket().reference}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("workspace:quarantine"))
    assert response.text.count("evil.test") >= 6


def test_the_quarantine_reason_is_shown_in_the_readers_language():
    from django.utils import translation

    from supportal.mail.inbound import quarantine_reason

    outcome = {
        "reason": "x@example.com is a deactivated account",
        "reason_code": "deactivated",
        "reason_params": {"sender": "x@example.com"},
    }
    with translation.override("en"):
        assert quarantine_reason(outcome) == "x@example.com is a deactivated account."
    with translation.override("ro"):
        assert quarantine_reason(outcome) != "x@example.com is a deactivated account."
        assert "x@example.com" in quarantine_reason(outcome)
    assert quarantine_reason({"reason": "older message"}) == "older message"


def test_the_queue_page_counts_the_quarantined_mail_with_its_queues(client, cast, stranger_mail):
    """The queue page's navigation shows the count the quarantine page shows, read in the
    queue counts' statement rather than one of its own (docs/performance.md, "Sixth round")."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportal.mail.models import InboundMessage

    table = InboundMessage._meta.db_table
    for agent, count in ((cast.agent_help, 1), (cast.agent_dev, 0), (cast.admin, 1)):
        client.force_login(agent)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("workspace:queue")).content.decode()
        assert f"Quarantined mail ({count})" in html
        reading = [q["sql"] for q in queries.captured_queries if table in q["sql"]]
        assert len(reading) == 1 and "counted_" in reading[0]
        quarantine_page = client.get(reverse("workspace:quarantine")).content.decode()
        assert f"Quarantined mail ({count})" in quarantine_page
