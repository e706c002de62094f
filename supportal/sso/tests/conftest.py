"""A real OpenID provider for the single sign-on tests: panva's oidc-provider on Node.js,
started on a free port (docs/sso.md#tests)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

from supportal.sso import client
from supportal.sso.models import IdentityProvider

ROOT = Path(__file__).resolve().parents[3]
MODULE = ROOT / "var" / "oidc-provider" / "node_modules" / "oidc-provider" / "lib" / "index.js"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
MISSING = (
    "the OpenID provider of the SSO tests is not installed: Node.js and oidc-provider "
    "(bash scripts/oidc_provider_install.sh; .ci/services runs it)"
)
CLIENT_ID = "supportal"
CLIENT_SECRET = "supportal-test-secret"
SLUG = "test-idp"
SECRET_ENV = "SUPPORTAL_SSO_TEST_SECRET"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OidcProvider:
    """The running provider: its issuer, its people (``accounts_set``) and a person signing in
    at its log-in form (``sign_in``)."""

    def __init__(self, *, redirect_uris: list[str]) -> None:
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._dir = Path(tempfile.mkdtemp(prefix="supportal-oidc-"))
        self.accounts_file = self._dir / "accounts.json"
        self.accounts_set({})
        clients = [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
            }
        ]
        env = {
            **os.environ,
            "OIDC_PROVIDER_MODULE": str(MODULE),
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENTS": json.dumps(clients),
            "OIDC_ACCOUNTS": str(self.accounts_file),
        }
        self._log = (self._dir / "provider.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own script, on loopback
            [shutil.which("node") or "node", str(SCRIPT)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider exited: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"oidc-provider did not listen in time: {self.log()}")

    def log(self) -> str:
        return (self._dir / "provider.log").read_text()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def accounts_set(self, accounts: dict[str, dict]) -> None:
        """The provider's people, by subject: email, email_verified, password, names."""
        self.accounts_file.write_text(json.dumps(accounts))

    def account(self, sub: str, email: str, *, verified: bool = True, **names: str) -> None:
        accounts = json.loads(self.accounts_file.read_text())
        accounts[sub] = {
            "email": email,
            "email_verified": verified,
            "password": "provider-pass",
            **names,
        }
        self.accounts_set(accounts)

    def sign_in(
        self,
        authorize_url: str,
        email: str,
        *,
        otp: bool = False,
        action: str = "login",
        stop_at: str = "http://testserver",
    ) -> str:
        """Go through the provider's log-in form as a person would; the URL it sends the
        browser back to (on our site), not followed."""
        browser = requests.Session()
        page = browser.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        assert "Test identity provider" in page.text, page.text
        form_url = page.url.split("?")[0] + "/login"
        data = {"email": email, "password": "provider-pass", "action": action}
        if otp:
            data["otp"] = "1"
        response = browser.post(form_url, data=data, allow_redirects=False, timeout=10)
        for _hop in range(10):
            location = response.headers.get("Location", "")
            assert response.status_code in (302, 303), (response.status_code, response.text)
            location = urllib.parse.urljoin(response.url, location)
            if location.startswith(stop_at):
                return location
            response = browser.get(location, allow_redirects=False, timeout=10)
        raise AssertionError("the provider did not send the browser back")


def provider_start(redirect_uris: list[str]):
    if shutil.which("node") is None or not MODULE.exists():
        pytest.skip(MISSING)
    provider = OidcProvider(redirect_uris=redirect_uris)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def oidc_provider():
    """The provider, for the Django test client (its redirect URI is on http://testserver)."""
    yield from provider_start([f"http://testserver/sso/{SLUG}/callback/"])


@pytest.fixture
def idp(oidc_provider, db, settings, monkeypatch, cast):
    """The identity provider row pointing at the running provider; agents of support.test."""
    settings.SUPPORTAL_BASE_URL = "http://testserver"
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    client.metadata_forget()
    oidc_provider.accounts_set({})
    return IdentityProvider.objects.create(
        name="Tecnet ID",
        slug=SLUG,
        issuer=oidc_provider.issuer,
        client_id=CLIENT_ID,
        client_secret_env=SECRET_ENV,
        allowed_domains="support.test",
    )
