"""Canned replies' placeholders: company, contract, SLA deadline, the first name as addressed,
and a warning for a placeholder nobody knows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import Contract
from supportal.replies.models import CannedReply
from supportal.replies.placeholders import first_name_addressed, placeholders_unknown
from supportal.replies.selectors import canned_reply_render
from supportal.sla.models import Clock, Goal


@pytest.mark.parametrize(
    ("name", "vocative"),
    [
        ("Jana", "Jano"),
        ("Petr", "Petře"),
        ("Pavel", "Pavle"),
        ("Tomáš", "Tomáši"),
        ("Jan", "Jane"),
        ("Lucie", "Lucie"),
        ("Marek", "Marku"),
    ],
)
def test_czech_first_names_are_addressed_in_the_vocative(name, vocative):
    assert first_name_addressed(name, "cs") == vocative
    assert first_name_addressed(name, "ro") == name


def test_unknown_placeholders_are_found_once_each():
    assert placeholders_unknown("Dear {first_name}, {compny} and {compny} {sla}") == [
        "compny",
        "sla",
    ]


def test_a_reply_is_filled_with_company_contract_deadline_and_first_name(cast):
    cast.cristina.language = "cs"
    cast.cristina.first_name = "Jana"
    cast.cristina.save()
    Contract.objects.create(organization=cast.cristina_srl, name="Gold support")
    Contract.objects.create(
        organization=cast.cristina_srl, name="Expired", ends_on=dt.date(2020, 1, 1)
    )
    ticket = cast.ticket()
    deadline = timezone.now() + dt.timedelta(hours=3)
    Clock.objects.get_or_create(
        ticket=ticket,
        goal=Goal.RESOLUTION,
        defaults={"started_at": timezone.now(), "updated_at": timezone.now()},
    )
    Clock.objects.filter(ticket=ticket).update(
        state="running", target_duration=dt.timedelta(hours=8), deadline_at=deadline
    )
    reply = CannedReply.objects.create(
        desk=cast.help_desk,
        title="Hello",
        body="Dobrý den {first_name}, {company} ({contract}) do {sla_deadline}. {unknown}",
    )
    text = canned_reply_render(reply, ticket=ticket, agent=cast.agent_help)
    assert text.startswith("Dobrý den Jano, Cristina SRL (Gold support) do ")
    assert "{sla_deadline}" not in text and str(deadline.year) in text
    assert text.endswith("{unknown}")  # left as typed: the editor warned about it


def test_the_canned_reply_form_warns_of_an_unknown_placeholder(client, cast):
    client.force_login(cast.lead_help)
    response = client.post(
        reverse("workspace:canned"),
        {"desk": cast.help_desk.pk, "title": "Hi", "body": "Hello {compny}", "is_active": "on"},
    )
    assert "Unknown placeholder: {compny}." in response.content.decode()
    assert not CannedReply.objects.filter(title="Hi").exists()
