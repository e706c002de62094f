import pytest
from django.core.management import call_command

from supportal.search.models import SearchDocument


@pytest.mark.django_db(transaction=True)
def test_a_background_rebuild_is_run_by_the_task_worker(cast, capsys):
    ticket = cast.ticket(summary="Imprimanta nu printează")
    SearchDocument.objects.all().delete()
    call_command("rebuild_search_index", "--background")
    assert "Queued as task" in capsys.readouterr().out
    assert not SearchDocument.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert SearchDocument.objects.get(ticket=ticket).public_text
