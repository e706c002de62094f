"""The ticket page's one reply box with the status next to Send, the desk's custom fields with
their labels (and edited), and the customer panel."""

from __future__ import annotations

from django.urls import reverse

from supportal.desks.models import CustomField, CustomFieldKind
from supportal.tickets import services
from supportal.tickets.models import Comment, EventKind
from supportal.tickets.workflow import Action, Status, WaitingReason


def _url(name, ticket):
    return reverse(f"workspace:{name}", args=[ticket.reference])


def _reply(client, ticket, body, *, then="", visibility="public", token="t1"):  # noqa: S107
    seen = client.get(_url("ticket", ticket)).context["last_event_id"]
    return client.post(
        _url("comment", ticket),
        {
            "body": body,
            "visibility": visibility,
            "then": then,
            "token": token,
            "seen_event_id": seen,
        },
    )


def test_reply_and_wait_for_the_customer_in_one_send(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    page = client.get(_url("ticket", ticket))
    assert page.context["reply_then"] == [
        ("request_info", "and wait for the customer"),
        ("resolve", "and resolve"),
    ]

    response = _reply(client, ticket, "Which user name do you log in with?", then="request_info")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    assert ticket.waiting_reason == WaitingReason.INFORMATION_NEEDED
    comment = Comment.objects.get(ticket=ticket, author=cast.agent_help)
    assert comment.is_public and comment.body == "Which user name do you log in with?"
    kinds = list(ticket.events.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.COMMENTED, EventKind.STATUS_CHANGED]


def test_reply_and_resolve_makes_the_reply_the_resolution(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    _reply(client, ticket, "The password was reset.", then="resolve")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution == "The password was reset."


def test_a_note_never_changes_the_status_and_a_refused_change_keeps_the_text(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    _reply(client, ticket, "Checked the logs.", then="resolve", visibility="internal")
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert Comment.objects.get(ticket=ticket).is_public is False

    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which?"
    )
    # Already waiting for the customer: asking again is refused; the text comes back.
    response = _reply(client, ticket, "Any news?", then="request_info", token="t2")
    assert response.status_code == 400
    assert "Any news?" in response.content.decode()
    assert not Comment.objects.filter(body="Any news?").exists()
    # Empty text with a resolution: a clear message, nothing changed.
    response = _reply(client, ticket, "", then="resolve", token="t3")
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER


def test_custom_fields_show_their_labels_and_are_edited(client, cast):
    CustomField.objects.create(desk=cast.help_desk, name="retailer", label="Retailer")
    CustomField.objects.create(
        desk=cast.help_desk,
        name="shop_count",
        label="Number of shops",
        kind=CustomFieldKind.NUMBER,
    )
    ticket = cast.ticket(custom_fields={"retailer": "Emag"})
    client.force_login(cast.agent_help)

    html = client.get(_url("ticket", ticket)).content.decode()
    assert '<label for="id_cf_retailer">Retailer</label>' in html
    assert 'value="Emag"' in html

    client.post(_url("fields", ticket), {"cf_retailer": "Altex", "cf_shop_count": "12"})
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"retailer": "Altex", "shop_count": "12"}
    texts = [e.payload.field for e in ticket.events.filter(kind=EventKind.FIELD_CHANGED)]
    assert sorted(texts) == ["Number of shops", "Retailer"]

    response = client.post(_url("fields", ticket), {"cf_shop_count": "many"}, follow=True)
    assert "Number of shops must be a number." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.custom_fields["shop_count"] == "12"


def test_customer_panel_shows_language_and_local_time(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.get(_url("ticket", ticket))
    locale = response.context["customer_locale"]
    assert locale["language"] == "English"
    html = response.content.decode()
    assert "Local time" in html and "Cristina SRL" in html and "RO123" in html


def test_the_ticket_shows_the_customers_rating_and_message(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Reset."
    )
    services.feedback_give(ticket=ticket, actor=cast.cristina, rating=1, message="Too slow.")
    client.force_login(cast.agent_help)
    html = client.get(_url("ticket", ticket)).content.decode()
    assert "Customer&#x27;s feedback" in html or "Customer's feedback" in html
    assert "Too slow." in html
    assert "Low rating" in html
