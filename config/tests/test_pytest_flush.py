"""The emptying of the database after a test on committed rows (config/pytest_flush.py): every
row a test committed is gone, the content types and permissions stay as migrations made them,
and anything the cheaper way cannot vouch for is left to Django's own flush."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.signals import post_migrate

from config import pytest_flush
from supportal.accounts.models import User
from supportal.conftest import cast_build
from supportal.search.models import SearchDocument
from supportal.tickets.models import Event, Ticket


@pytest.fixture
def committed(transactional_db, monkeypatch):
    """A request committed through the services, and the kept tables' digest as they are."""
    monkeypatch.setitem(pytest_flush._kept_digests, "default", pytest_flush._kept_digest("default"))
    cast = cast_build()
    return cast.ticket(cast.cristina, summary="Imprimanta nu pornește")


def test_every_committed_row_goes_and_the_content_types_stay(committed):
    content_types = list(ContentType.objects.order_by("pk").values_list("pk", "model"))
    permissions = Permission.objects.count()
    assert Ticket.objects.exists() and Event.objects.exists() and SearchDocument.objects.exists()

    assert pytest_flush._emptied_by_delete("default") is True

    assert not Ticket.objects.exists()
    assert not Event.objects.exists()
    assert not User.objects.exists()
    assert not SearchDocument.objects.exists()
    if connection.vendor == "sqlite":
        # The full-text index follows its table through the delete trigger.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM search_searchdocument_fts"
                " WHERE search_searchdocument_fts MATCH 'Imprimanta'"
            )
            assert cursor.fetchone()[0] == 0
    assert list(ContentType.objects.order_by("pk").values_list("pk", "model")) == content_types
    assert Permission.objects.count() == permissions


def test_a_changed_permission_leaves_everything_to_djangos_flush(committed):
    Permission.objects.create(
        codename="extra", name="Extra", content_type=ContentType.objects.get_for_model(Ticket)
    )

    assert pytest_flush._emptied_by_delete("default") is False
    assert Ticket.objects.filter(pk=committed.pk).exists()  # nothing was deleted


def test_another_post_migrate_receiver_leaves_it_to_djangos_flush():
    def write_defaults(**kwargs):
        pass

    assert pytest_flush._only_known_receivers()
    post_migrate.connect(write_defaults)
    try:
        assert not pytest_flush._only_known_receivers()
    finally:
        post_migrate.disconnect(write_defaults)
