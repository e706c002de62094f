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


def test_the_description_is_built_once_and_each_caller_gets_its_own_copy(client, monkeypatch):
    from supportal.api.base import SupportalApi, api

    builds = []
    build = SupportalApi._openapi_schema_build

    def counted(self, path_prefix):
        builds.append(path_prefix)
        return build(self, path_prefix)

    monkeypatch.setattr(SupportalApi, "_openapi_schema_build", counted)
    monkeypatch.setattr(api, "_openapi_kept", {})
    first = client.get("/api/v1/openapi.json")
    second = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="cs")
    third = client.get("/api/v1/openapi.json")
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.content == third.content
    assert "/api/v1/tickets" in first.json()["paths"]
    assert builds == ["/api/v1/", "/api/v1/"]  # once for English, once for Czech

    # What one caller does to its copy, the next one does not see.
    mine = api.get_openapi_schema()
    mine["paths"].clear()
    assert client.get("/api/v1/openapi.json").content == first.content
    assert len(builds) == 2
