from __future__ import annotations

import pytest
from django.core.cache import cache

from supportal.accounts.models import Contact


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The portal footer caches support hours for a minute; each test starts from the database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def radu(cast) -> Contact:
    """A contact person of Cristina SRL without a portal account."""
    return Contact.objects.create(
        organization=cast.cristina_srl,
        first_name="Radu",
        last_name="Bodomoiu",
        gender="m",
        title="Dl.",
        email="radu@example.com",
        function="Contabil",
    )


@pytest.fixture
def petr_contact(cast) -> Contact:
    return Contact.objects.create(
        organization=cast.other_sa, first_name="Petr", last_name="Novák", email="petr@other.test"
    )
