"""Customer satisfaction for team leads, next to the SLA report, reached from the navigation."""

from __future__ import annotations

from django.urls import reverse

from supportal.tickets import services
from supportal.tickets.workflow import Action

CSAT = "/agent/reports/csat/"


def _rated(cast, rating, message="", *, requester=None, desk=None, assignee=None, product=None):
    ticket = cast.ticket(
        requester=requester, desk=desk, **({"product": product} if product else {})
    )
    services.ticket_assign(
        ticket=ticket,
        actor=cast.admin,
        assignee=assignee or cast.agent_help,
    )
    services.ticket_transition(
        ticket=ticket, actor=cast.admin, action=Action.RESOLVE, resolution="Done."
    )
    services.feedback_give(ticket=ticket, actor=ticket.requester, rating=rating, message=message)
    return ticket


def test_team_lead_sees_ratings_by_agent_and_company_with_the_messages(client, cast):
    _rated(cast, 5, "Great, thanks!")
    _rated(cast, 2, "Took too long.")
    _rated(cast, 4, requester=cast.other_customer, assignee=cast.lead_help)
    _rated(cast, 1, "Other desk", desk=cast.dev_desk, assignee=cast.agent_dev)
    client.force_login(cast.lead_help)

    by_agent = client.get(CSAT).context["report"]
    rows = {row.label: row for row in by_agent.rows}
    assert rows["Bogdan Moraru"].count == 2
    assert rows["Bogdan Moraru"].average == 3.5
    assert rows["Bogdan Moraru"].satisfied_percent == 50.0
    assert rows["Bogdan Moraru"].low == 1
    assert rows["Lena Lead"].count == 1
    assert by_agent.total.count == 3  # the other desk's rating is not the lead's to see

    by_company = client.get(CSAT, {"group_by": "company"})
    assert {row.label for row in by_company.context["report"].rows} == {"Cristina SRL", "Other SA"}
    html = by_company.content.decode()
    assert "Took too long." in html and "Other desk" not in html


def test_reports_are_in_the_navigation_for_team_leads_only(client, cast):
    client.force_login(cast.lead_help)
    html = client.get(reverse("workspace:queue")).content.decode()
    assert f'href="{reverse("workspace:sla_report")}">Reports<' in html
    sla = client.get(reverse("workspace:sla_report")).content.decode()
    assert f'href="{CSAT}"' in sla  # the two reports link to each other

    client.force_login(cast.agent_help)
    assert ">Reports<" not in client.get(reverse("workspace:queue")).content.decode()
    assert client.get(CSAT).status_code == 403


def test_team_lead_sees_ratings_by_product_and_week_for_a_period(client, cast):
    import datetime as dt

    from django.utils import timezone

    _rated(cast, 5, product=cast.product)
    _rated(cast, 1, "Slow.", product=cast.product)
    _rated(cast, 4)
    client.force_login(cast.lead_help)

    by_product = client.get(CSAT, {"group_by": "product"}).context["report"]
    rows = {row.label: row for row in by_product.rows}
    assert set(rows) == {"Tecnet Web", "(none)"}
    assert (rows["Tecnet Web"].count, rows["Tecnet Web"].average, rows["Tecnet Web"].low) == (
        2,
        3.0,
        1,
    )
    one_product = client.get(CSAT, {"product": cast.product.pk}).context["report"]
    assert one_product.total.count == 2

    today = timezone.localdate()
    by_week = client.get(CSAT, {"group_by": "week"}).context["report"]
    monday = today - dt.timedelta(days=today.weekday())
    assert [(row.label, row.count) for row in by_week.rows] == [(monday.isoformat(), 3)]
    last_year = {"start": (today - dt.timedelta(days=400)).isoformat()}
    last_year["end"] = (today - dt.timedelta(days=300)).isoformat()
    assert client.get(CSAT, last_year).context["report"].total.count == 0
