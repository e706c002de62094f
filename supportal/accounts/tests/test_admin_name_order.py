"""The admin's lists sort by the names their reader sees (docs/languages.md#names): a Czech
administrator's priorities in Czech order, the ones without a Czech name by their fallback."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from supportal.accounts.models import PortalSettings
from supportal.desks.models import Priority

pytestmark = pytest.mark.django_db


def _names_in_order(page: str, names: list[str]) -> list[str]:
    found = [(page.index(f">{name}<"), name) for name in names if f">{name}<" in page]
    return [name for _at, name in sorted(found)]


def test_the_priorities_sort_by_the_czech_names_with_the_fallback_in_place(client, cast):
    row = PortalSettings.load()
    row.default_language = "ro"
    row.save()
    Priority.objects.all().delete()
    Priority.objects.create(name_en="Alpha", name_ro="Zorro", name_cs="Žádná", rank=1)
    Priority.objects.create(name_en="Beta", name_ro="Mare", name_cs=None, rank=2)  # → "Mare"
    Priority.objects.create(name_en="Zulu", name_ro="Banal", name_cs="Akutní", rank=3)
    cast.admin.language = "cs"
    cast.admin.save()
    client.force_login(cast.admin)
    url = reverse("admin:desks_priority_changelist")
    header = client.get(url).content.decode()
    column = re.search(r'<th scope="col" class="sortable column-name', header)
    assert column is not None
    ascending = client.get(url, {"o": "1"}).content.decode()
    assert _names_in_order(ascending, ["Akutní", "Mare", "Žádná"]) == ["Akutní", "Mare", "Žádná"]
    descending = client.get(url, {"o": "-1"}).content.decode()
    assert _names_in_order(descending, ["Akutní", "Mare", "Žádná"]) == ["Žádná", "Mare", "Akutní"]


def test_the_desks_default_order_is_by_the_readers_names(client, cast):
    cast.help_desk.name_cs = "Zákaznická podpora"
    cast.help_desk.save()
    cast.dev_desk.name_cs = "Alfa vývoj"
    cast.dev_desk.save()
    cast.admin.language = "cs"
    cast.admin.save()
    client.force_login(cast.admin)
    page = client.get(reverse("admin:desks_desk_changelist")).content.decode()
    names = ["Alfa vývoj", "Zákaznická podpora"]
    assert _names_in_order(page, names) == names
    cast.admin.language = "en"
    cast.admin.save()
    page = client.get(reverse("admin:desks_desk_changelist")).content.decode()
    names = [
        str(desk.name_en)
        for desk in sorted([cast.dev_desk, cast.help_desk], key=lambda d: d.name_en.lower())
    ]
    assert _names_in_order(page, names) == names
