"""Where a request comes from: the client's address behind the trusted proxies.

In ``core`` so every layer can read it: the log-in throttle (``accounts.throttle``) and the
audit log (``audit``) name the same address (docs/security.md).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.SUPPORTAL_TRUSTED_PROXIES]


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: list) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy
    (``SUPPORTAL_TRUSTED_PROXIES``), the first address of ``X-Forwarded-For`` read from the
    right that is not itself a trusted proxy. Entries left of it were written by the client and
    are ignored (docs/security.md)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _trusted_networks()
    if remote is None or not networks:
        return remote
    try:
        hop = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [item.strip() for item in forwarded.split(",") if item.strip()]
    while _is_trusted(hop, networks) and chain:
        try:
            hop = ipaddress.ip_address(chain.pop())
        except ValueError:
            break  # a garbled entry: the last trusted hop is the best we know
    return str(hop)
