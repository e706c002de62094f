"""The contract test: schemathesis generates requests for every operation of the served OpenAPI
description and sends them through the WSGI application, as an agent and as a customer. No
answer may be a server error, and every documented answer must match its schema
(docs/api.md#decisions).

A few examples per operation keep it fast (about a minute); the requests run in the test's
transaction, against the cast and a ticket, so many reach real rows rather than only 404s.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from supportal.accounts.services import api_token_create
from supportal.api.base import api

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()

EXAMPLES_PER_OPERATION = 5


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request; the test client
    does not, and neither may this test (its rows live in the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(cast) -> dict[str, str]:
    ticket = cast.ticket(cast.cristina)
    ticket.refresh_from_db()
    return {
        "agent": api_token_create(user=cast.agent_help, name="contract", scope="write")[1],
        "customer": api_token_create(user=cast.cristina, name="contract", scope="write")[1],
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_answers_match_the_schema(case, tokens):
    for token in tokens.values():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )
