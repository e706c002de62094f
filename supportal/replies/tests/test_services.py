"""Canned replies, saved views and one-time submissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.replies import selectors, services
from supportal.replies.models import CannedReply, SubmissionToken
from supportal.tickets import services as ticket_services
from supportal.tickets.models import Comment


def test_team_lead_writes_canned_replies_for_their_desk(cast):
    reply = services.canned_reply_save(
        actor=cast.lead_help, desk=cast.help_desk, title="Reset", body="Hello {requester_name}"
    )
    assert reply.created_by == cast.lead_help
    with pytest.raises(InvalidInput):
        services.canned_reply_save(
            actor=cast.lead_help, desk=cast.help_desk, title="reset", body="again"
        )
    services.canned_reply_save(
        actor=cast.lead_help, desk=cast.help_desk, title="Reset", body="changed", reply=reply
    )
    reply.refresh_from_db()
    assert reply.body == "changed"


def test_agents_read_but_do_not_write_canned_replies(cast):
    with pytest.raises(PermissionRefused):
        services.canned_reply_save(actor=cast.agent_help, desk=cast.help_desk, title="t", body="b")
    with pytest.raises(NotFound):
        services.canned_reply_save(actor=cast.agent_dev, desk=cast.help_desk, title="t", body="b")
    reply = CannedReply.objects.create(desk=cast.help_desk, title="t", body="b")
    with pytest.raises(PermissionRefused):
        services.canned_reply_delete(actor=cast.agent_help, reply=reply)
    assert list(selectors.canned_reply_list_for_user(cast.agent_help)) == [reply]
    assert list(selectors.canned_reply_list_for_user(cast.agent_dev)) == []
    assert list(selectors.canned_reply_list_for_user(cast.cristina)) == []


def test_placeholders_are_filled_and_unknown_braces_kept(cast):
    ticket = cast.ticket()
    reply = CannedReply(body="{requester_name} / {reference} / {agent_name} / {other}")
    text = selectors.canned_reply_render(reply, ticket=ticket, agent=cast.agent_help)
    assert text == f"Cristina Tănăsescu / {ticket.reference} / Bogdan Moraru / {{other}}"


def test_team_lead_manages_canned_replies_in_the_workspace(client, cast):
    client.force_login(cast.lead_help)
    client.post(
        reverse("workspace:canned"),
        {
            "desk": cast.help_desk.pk,
            "title": "Hello",
            "body": "Hi {requester_name}",
            "is_active": "on",
        },
    )
    reply = CannedReply.objects.get()
    client.post(
        reverse("workspace:canned_edit", args=[reply.pk]),
        {"desk": cast.help_desk.pk, "title": "Hello", "body": "Changed"},
    )
    reply.refresh_from_db()
    assert (reply.body, reply.is_active) == ("Changed", False)
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:canned")).content.decode()
    assert "Hello" in page and "New canned reply" not in page
    assert client.get(reverse("workspace:canned_edit", args=[reply.pk])).status_code == 404
    client.force_login(cast.lead_help)
    client.post(reverse("workspace:canned_delete", args=[reply.pk]))
    assert not CannedReply.objects.exists()


def test_a_token_posts_once(cast):
    ticket = cast.ticket()

    def post():
        return ticket_services.ticket_comment_add(
            ticket=ticket, author=cast.agent_help, body="once"
        )

    first = services.submission_once(user=cast.agent_help, ticket=ticket, token="abc", submit=post)
    again = services.submission_once(user=cast.agent_help, ticket=ticket, token="abc", submit=post)
    assert not first.is_repeat and again.is_repeat
    assert again.comment == first.comment
    assert Comment.objects.filter(body="once").count() == 1
    # Tokens are per person: someone else's identical token is another form.
    other = services.submission_once(user=cast.lead_help, ticket=ticket, token="abc", submit=post)
    assert not other.is_repeat


def test_a_refused_submission_leaves_the_token_unused(cast):
    ticket = cast.ticket()

    def refuse():
        raise InvalidInput("no")

    with pytest.raises(InvalidInput):
        services.submission_once(user=cast.agent_help, ticket=ticket, token="t", submit=refuse)
    assert not SubmissionToken.objects.exists()
    assert not selectors.submission_is_done(cast.agent_help, "t")
