"""The issue's "done when": an integrator reads the docs, creates a token, opens a request,
follows it through every status and receives a verified webhook for each change."""

from __future__ import annotations

import pytest
from django.utils import timezone

from supportal.webhooks.models import WebhookEndpoint
from supportal.webhooks.services import webhooks_deliver_due
from supportal.webhooks.tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db


def test_integrator_follows_a_request_through_every_status(cast, client, api_as, settings):
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = Receiver()
    try:
        endpoint = WebhookEndpoint.objects.create(
            name="Integrator", url=receiver.url, owner=cast.agent_help
        )
        receiver.secret = endpoint.secret
        assert client.get("/api/v1/docs").status_code == 200
        client.force_login(cast.agent_help)
        created = client.post("/account/tokens/", {"name": "integration", "scope": "write"})
        agent_token = created.context["created_text"]
        headers = {"Authorization": f"Bearer {agent_token}"}
        customer = api_as(cast.cristina)

        opened = customer.post("/api/v1/tickets", {"desk": "HELP", "summary": "VPN is down"})
        assert opened.status_code == 201
        path = f"/api/v1/tickets/{opened.json()['reference']}"

        def act(action: str, body: dict | None = None) -> str:
            response = client.post(
                f"{path}/actions/{action}",
                body or {},
                content_type="application/json",
                headers=headers,
            )
            assert response.status_code == 200, response.content
            return response.json()["status"]

        assert act("take") == "in_progress"
        assert act(
            "request_info", {"comment": "Which office?", "reason": "information_needed"}
        ) == ("waiting_for_customer")
        assert customer.post(f"{path}/comments", {"body": "Bucharest"}).status_code == 201
        assert customer.get(path).json()["status"] == "waiting_for_support"
        assert act("start") == "in_progress"
        assert act("wait_for_third_party", {"third_party": "ISP"}) == "waiting_for_third_party"
        assert act("third_party_answered", {"comment": "ISP fixed it"}) == "in_progress"
        assert act("resolve", {"resolution": "The ISP replaced a router."}) == "resolved"
        assert act("close") == "closed"

        # As the worker does: tick again while a tick found work.
        while webhooks_deliver_due(timezone.now()):
            pass
        assert receiver.received, "no webhook arrived"
        assert all(r["verified"] for r in receiver.received)
        statuses = [
            r["payload"]["data"]["event"]["data"]["to_status"]
            for r in receiver.received
            if r["payload"]["type"] == "ticket.status_changed"
        ]
        assert statuses == [
            "in_progress",
            "waiting_for_customer",
            "waiting_for_support",
            "in_progress",
            "waiting_for_third_party",
            "in_progress",
            "resolved",
            "closed",
        ]
    finally:
        receiver.close()
