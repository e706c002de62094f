"""An agent of desk DEV can neither list, read, search, download from nor act on desk HELP's
tickets through any workspace page, action or URL; customers cannot use the workspace at all."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.replies.models import CannedReply, SavedView
from supportal.tickets import services
from supportal.tickets.models import Event
from supportal.tickets.workflow import Action


@pytest.fixture
def help_ticket(cast):
    ticket = cast.ticket(
        summary="Secretul desk-ului HELP",
        attachments=[services.NewAttachment(file=SimpleUploadedFile("a.txt", b"x"))],
    )
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="notă internă HELP", is_public=False
    )
    services.participant_add(ticket=ticket, actor=cast.agent_help, person=cast.colleague)
    return ticket


def _state(ticket):
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.assignee_id,
        ticket.priority_id,
        ticket.comments.count(),
        Event.objects.filter(ticket=ticket).count(),
        ticket.participants.count(),
        ticket.quotes.count(),
    )


def _ticket_posts(ticket, cast):
    ref = ticket.reference
    posts = [
        (reverse("workspace:comment", args=[ref]), {"body": "hi", "visibility": "internal"}),
        (reverse("workspace:assign", args=[ref]), {"assignee": "me"}),
        (reverse("workspace:fields", args=[ref]), {"priority": cast.high.pk}),
        (reverse("workspace:participant_add", args=[ref]), {"user": cast.cristina_admin.pk}),
        (reverse("workspace:participant_remove", args=[ref, cast.colleague.pk]), {}),
        (reverse("workspace:quote", args=[ref]), {"price": "10", "currency": "RON"}),
        (reverse("workspace:presence", args=[ref]), {"typing": "1"}),
        (reverse("workspace:leave", args=[ref]), {}),
    ]
    for action in Action:
        posts.append(
            (
                reverse("workspace:action", args=[ref, action.value]),
                {"comment": "x", "third_party": "x", "resolution": "x", "answer": "x"},
            )
        )
    return posts


def test_other_desk_agent_gets_not_found_on_every_ticket_url(client, cast, help_ticket):
    before = _state(help_ticket)
    client.force_login(cast.agent_dev)
    ref = help_ticket.reference
    for url in (
        reverse("workspace:ticket", args=[ref]),
        reverse("workspace:ticket", args=[ref.lower()]),
        reverse("workspace:export", args=[ref]),
        reverse("portal:file", args=[help_ticket.attachments.get().pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url, data in _ticket_posts(help_ticket, cast):
        assert client.post(url, data).status_code == 404, url
    assert _state(help_ticket) == before


def test_other_desk_agent_does_not_list_count_or_search_the_ticket(client, cast, help_ticket):
    client.force_login(cast.agent_dev)
    for params in (
        {},
        {"view": "all"},
        {"view": "unassigned"},
        {"view": "open", "desk": cast.help_desk.pk},
        {"view": "all", "q": "Secretul"},
        {"view": "all", "q": "internă"},
        {"view": "all", "company": "Cristina"},
    ):
        response = client.get(reverse("workspace:queue"), params)
        assert help_ticket.reference not in response.content.decode(), params
        assert response.context["page"].paginator.count == 0, params
    counts = json.loads(client.get(reverse("workspace:counts")).content)
    assert set(counts.values()) == {0}
    lookup = client.get(reverse("workspace:requester_lookup"), {"email": cast.cristina.email})
    assert help_ticket.reference not in lookup.content.decode()


def test_other_desk_agent_cannot_act_on_the_ticket_in_bulk(client, cast, help_ticket):
    before = _state(help_ticket)
    client.force_login(cast.agent_dev)
    for data in (
        {"operation": "assign", "assignee": "me"},
        {"operation": "transition", "action": "cancel"},
        {"operation": "priority", "priority": cast.high.pk},
    ):
        response = client.post(reverse("workspace:bulk"), {**data, "ticket": [help_ticket.pk]})
        page = client.get(response.url).content.decode()
        assert "1 selected request was not found." in page
        assert help_ticket.reference not in page
    assert _state(help_ticket) == before


def test_other_desk_canned_replies_and_views_stay_hidden(client, cast, help_ticket):
    reply = CannedReply.objects.create(desk=cast.help_desk, title="HELP reply", body="secret")
    view = SavedView.objects.create(owner=cast.lead_help, desk=cast.help_desk, name="HELP view")
    client.force_login(cast.agent_dev)
    assert "HELP reply" not in client.get(reverse("workspace:canned")).content.decode()
    assert client.get(reverse("workspace:canned_edit", args=[reply.pk])).status_code == 404
    assert client.post(reverse("workspace:canned_delete", args=[reply.pk])).status_code == 404
    assert "HELP view" not in client.get(reverse("workspace:queue")).content.decode()
    assert client.post(reverse("workspace:view_delete", args=[view.pk])).status_code == 404
    assert CannedReply.objects.filter(pk=reply.pk).exists()
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_customers_and_anonymous_visitors_never_reach_the_workspace(client, cast, help_ticket):
    urls = [
        reverse("workspace:queue"),
        reverse("workspace:counts"),
        reverse("workspace:register"),
        reverse("workspace:canned"),
        reverse("workspace:ticket", args=[help_ticket.reference]),
        reverse("workspace:export", args=[help_ticket.reference]),
    ]
    before = _state(help_ticket)
    for user in (None, cast.cristina, cast.cristina_admin):
        client.logout()
        if user:
            client.force_login(user)
        refused = 403 if user else 302  # customers: the "for the support team" page
        for url in urls:
            assert client.get(url).status_code == refused, (user, url)
        for url, data in _ticket_posts(help_ticket, cast):
            assert client.post(url, data).status_code == refused, (user, url)
    assert _state(help_ticket) == before


def test_administrator_sees_every_desk(client, cast, help_ticket):
    dev_ticket = cast.ticket(desk=cast.dev_desk)
    client.force_login(cast.admin)
    page = client.get(reverse("workspace:queue")).content.decode()
    assert help_ticket.reference in page and dev_ticket.reference in page
