from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from supportal.accounts.models import User
from supportal.accounts.services import api_token_create


class ApiClient:
    """The test client speaking JSON with a personal access token."""

    def __init__(self, user: User, *, scope: str = "write") -> None:
        self.user = user
        self.token_row, self.token = api_token_create(user=user, name="tests", scope=scope)
        self.client = Client()

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def get(self, path: str, data: dict | None = None, **headers: str) -> Any:
        return self.client.get(path, data or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.patch(
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def upload(self, path: str, data: dict, **headers: str) -> Any:
        """A multipart POST (files as ``SimpleUploadedFile``)."""
        return self.client.post(path, data, headers=self._headers(headers))

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def api_as():
    return ApiClient
