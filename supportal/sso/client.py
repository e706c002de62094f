"""The OpenID Connect client: authlib's Django integration, one app per provider row
(docs/sso.md, "What is checked").

authlib does the authorization-code flow with PKCE (S256), keeps state, nonce and the code
verifier in the session, fetches the provider's keys (JWKS, again when a token names an unknown
key) and checks the ID token: signature, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nonce``
and ``at_hash``. The discovery document is kept for an hour per process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from authlib.integrations.django_client import DjangoOAuth2App, OAuth

from supportal.sso.models import IdentityProvider

TIMEOUT_SECONDS = 10
METADATA_DURATION_SECONDS = 3600
# ID tokens' exp, iat and nbf may be off by this much (clocks differ a little).
LEEWAY_SECONDS = 60

_metadata: dict[tuple[int, str], dict[str, Any]] = {}
_metadata_lock = threading.Lock()


class DiscoveryMismatch(Exception):
    """The discovery document names another issuer than the one configured."""


def discovery_url(provider: IdentityProvider) -> str:
    return provider.issuer.rstrip("/") + "/.well-known/openid-configuration"


def oauth_app(provider: IdentityProvider) -> DjangoOAuth2App:
    """authlib's client for ``provider``, with the secret read now (a rotated file or variable
    is picked up at once) and the discovery document from the cache when fresh."""
    key = (provider.pk, provider.issuer)
    with _metadata_lock:
        cached = dict(_metadata.get(key, {}))
    if cached and time.time() - cached.get("_loaded_at", 0) > METADATA_DURATION_SECONDS:
        cached = {}
    app = OAuth().register(
        name=f"sso_{provider.slug}",
        client_id=provider.client_id,
        client_secret=provider.client_secret(),
        server_metadata_url=discovery_url(provider),
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
        **cached,
    )
    metadata = app.load_server_metadata()
    # OpenID Connect Discovery 1.0, section 4.3: the document must be the configured issuer's;
    # its issuer is then what every ID token's iss must equal.
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
        raise DiscoveryMismatch(metadata.get("issuer", ""))
    return app


def metadata_keep(provider: IdentityProvider, app: DjangoOAuth2App) -> None:
    """Keep what ``app`` loaded (discovery, and the keys once fetched) for the next sign-in."""
    with _metadata_lock:
        _metadata[(provider.pk, provider.issuer)] = dict(app.server_metadata)


def claims_options(provider: IdentityProvider, app: DjangoOAuth2App) -> dict[str, Any]:
    """What authlib checks beyond its defaults: the audience is our client, and iss, aud, exp
    and iat must be there at all."""
    return {
        "iss": {"essential": True, "values": [app.server_metadata["issuer"]]},
        "aud": {"essential": True, "values": [provider.client_id]},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "sub": {"essential": True},
    }


# What the UserInfo endpoint may add to an ID token's claims; never sub, iss, aud, amr or acr.
USERINFO_CLAIMS = ("email", "email_verified", "given_name", "family_name")


def claims_complete(
    app: DjangoOAuth2App, token: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims, with the address and names from the UserInfo endpoint when the
    ID token leaves them out (providers may put them only there, OpenID Connect Core 5.4).
    The answer counts only for the same subject (Core 5.3.2); raises ValueError otherwise."""
    if "email" in claims or not app.server_metadata.get("userinfo_endpoint"):
        return claims
    info = app.userinfo(token=token)
    if str(info.get("sub")) != str(claims["sub"]):
        raise ValueError("the UserInfo answer is about another subject")
    return {**claims, **{name: info[name] for name in USERINFO_CLAIMS if name in info}}


def metadata_forget() -> None:
    """Drop every cached discovery document (tests; a provider changed its keys' location)."""
    with _metadata_lock:
        _metadata.clear()
