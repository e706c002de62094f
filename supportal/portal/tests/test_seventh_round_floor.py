"""The floor of every logged-in page and the new-request form, seventh round
(docs/performance.md): the session's, the user's and the desk's rows are read with SQL compiled
once, and answer exactly as the ORM's queries did — an expired session, an inactive user, a
changed password, an unknown or closed desk."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import User
from supportal.core.statements import row_by
from supportal.desks.choices import products_kept
from supportal.desks.models import Desk


def _profile_status(client) -> int:
    return client.get(reverse("portal:requests")).status_code


def test_a_row_read_by_key_equals_the_orms(cast):
    for model, field, value in (
        (User, "pk", cast.cristina.pk),
        (User, "email", cast.cristina.email),
        (Desk, "key", cast.help_desk.key),
    ):
        ours = row_by(model, field, value)
        theirs = model._base_manager.get(**{field: value})
        assert ours is not None
        assert ours.__dict__.keys() - {"_state"} == theirs.__dict__.keys() - {"_state"}
        for name in theirs.__dict__.keys() - {"_state"}:
            assert getattr(ours, name) == getattr(theirs, name), name
        assert not ours._state.adding and ours._state.db == "default"
    assert row_by(User, "pk", 10**9) is None
    assert row_by(Desk, "key", "NOPE") is None


def test_a_row_read_by_key_is_one_statement_and_sees_changes(cast):
    row_by(User, "pk", cast.cristina.pk)
    User.objects.filter(pk=cast.cristina.pk).update(first_name="Altă")
    with CaptureQueriesContext(connection) as queries:
        user = row_by(User, "pk", cast.cristina.pk)
    assert len(queries) == 1
    assert user is not None and user.first_name == "Altă"


def test_a_logged_in_page_reads_the_session_and_the_user_once_each(client, cast):
    client.force_login(cast.cristina)
    assert _profile_status(client) == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/healthz")
        client.get(reverse("portal:requests"))
    tables = [q["sql"] for q in queries if "django_session" in q["sql"]]
    users = [q["sql"] for q in queries if 'FROM "accounts_user" WHERE' in q["sql"]]
    assert len(tables) == 1 and len(users) == 1


def test_an_expired_session_is_a_logged_out_one(client, cast):
    client.force_login(cast.cristina)
    assert _profile_status(client) == 200
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("portal:requests"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_inactive_user_or_a_changed_password_ends_the_session(client, cast):
    client.force_login(cast.cristina)
    assert _profile_status(client) == 200
    User.objects.filter(pk=cast.cristina.pk).update(is_active=False)
    assert _profile_status(client) == 302
    User.objects.filter(pk=cast.cristina.pk).update(is_active=True)
    client.force_login(cast.cristina)
    assert _profile_status(client) == 200
    session = client.session
    session[HASH_SESSION_KEY] = "not-the-hash"
    session.save()
    assert _profile_status(client) == 302


def test_a_company_account_is_not_loaded_by_the_email_backend(cast):
    from supportal.accounts.backends import EmailBackend

    assert EmailBackend().get_user(cast.cristina.pk) == cast.cristina
    User.objects.filter(pk=cast.cristina.pk).update(is_company_account=True)
    assert EmailBackend().get_user(cast.cristina.pk) is None
    assert EmailBackend().get_user(10**9) is None


def test_an_unknown_desk_offers_the_open_desks_and_a_closed_one_is_refused(client, cast):
    client.force_login(cast.cristina)
    response = client.get(f"{reverse('portal:new')}?desk=NOPE")
    assert response.status_code == 200
    assert "?desk=HELP" in response.content.decode()
    assert "?desk=DEV" in response.content.decode()
    Desk.objects.filter(pk=cast.help_desk.pk).update(is_active=False)
    response = client.get(f"{reverse('portal:new')}?desk=help")
    assert response.status_code == 302 and response["Location"].endswith("?desk=DEV")
    response = client.post(f"{reverse('portal:new')}?desk=HELP", {"summary": "x"})
    assert response.status_code == 302 and response["Location"].endswith("?desk=DEV")


def test_the_desks_kept_rows_are_copies(cast):
    first = products_kept(cast.help_desk)
    first[0].name = "changed here"
    first[0]._state.fields_cache["x"] = 1
    again = products_kept(cast.help_desk)
    assert again[0].name != "changed here"
    assert "x" not in again[0]._state.fields_cache
    assert again[0].pk == first[0].pk and not again[0]._state.adding


def test_the_contracts_priorities_read_once_compiled_equal_the_orms(cast):
    from supportal.accounts.models import Contract
    from supportal.tickets.filing import _CONTRACT_PRIORITIES, _contract_priorities_build

    today = timezone.localdate()
    contract = Contract.objects.create(
        organization=cast.cristina_srl,
        name="Basic",
        starts_on=today - dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=3),
    )
    contract.priorities.add(cast.normal, cast.high)
    for organization_id in (cast.cristina_srl.pk, cast.other_sa.pk):
        for day in (today, today - dt.timedelta(days=5), today + dt.timedelta(days=3)):
            values = {"organization_id": organization_id, "day": day}
            with CaptureQueriesContext(connection) as queries:
                ours = _CONTRACT_PRIORITIES.rows(None, values)
            theirs = list(_contract_priorities_build(None, values))
            assert sorted(ours, key=str) == sorted(theirs, key=str)
            assert bool(ours) == (
                organization_id == cast.cristina_srl.pk and day != today - dt.timedelta(days=5)
            )
            assert len(queries) == 1
    # Kept (the day's stand-in found among the parameters, as a date or as SQLite's text).
    assert None not in _CONTRACT_PRIORITIES._kept.values()
