"""What an imported request's customers see through the portal (docs/import.md#tests)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from supportal.accounts.models import Organization, User


def listed(client: Client) -> set[str]:
    """The references the portal's list of requests shows, of every status."""
    page = client.get(reverse("portal:requests"), {"status": "any"}).content.decode()
    return set(re.findall(r'href="/requests/([A-Z]+-[0-9]+)/"', page))


def colleague_sees(client: Client, company: Organization, references: set[str]) -> None:
    """A new colleague in ``company`` sees none of ``references`` until the company shares its
    requests, then all of them (those without a product, as imported requests are)."""
    colleague = User.objects.create_user(
        f"coleg@{company.pk}.example", password="parola123", organization=company
    )
    client.force_login(colleague)
    assert listed(client) == set()
    for reference in references:
        assert client.get(f"/requests/{reference}/").status_code == 404
    company.shares_requests = True
    company.save(update_fields=["shares_requests"])
    shown = listed(client)
    assert shown == references, shown
    for reference in references:
        assert client.get(f"/requests/{reference}/").status_code == 200
