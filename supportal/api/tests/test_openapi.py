"""The OpenAPI description and the browsable docs, served without a CDN."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_description_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    for path in ["/api/v1/tickets", "/api/v1/tickets/{reference}", "/api/v1/customers"]:
        assert path in spec["paths"]
    upload = spec["paths"]["/api/v1/tickets/{reference}/attachments"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "patch" in spec["paths"]["/api/v1/tickets/{reference}"]
    for path in ["/api/v1/canned-replies", "/api/v1/saved-views", "/api/v1/contacts/{contact_id}"]:
        assert path in spec["paths"]
    # Refusals are documented as what they are.
    refusal = spec["paths"]["/api/v1/tickets/{reference}"]["get"]["responses"]["404"]
    assert list(refusal["content"]) == ["application/problem+json"]
    schemes = spec["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]


def test_docs_page_loads_our_static_files_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "http://" not in html and "https://" not in html
    csp = response.get("Content-Security-Policy", "")
    assert "cdn" not in csp
