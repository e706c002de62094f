"""The audit log records security actions with who, when, from where and before/after —
never a secret — and is append-only; the purge keeps the retention and leaves its own entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from supportal import audit
from supportal.accounts import services as account_services
from supportal.audit.models import Action, AppendOnly, AuditEntry, AuditSettings
from supportal.audit.services import REDACTED, audit_purge
from supportal.core.jobs import registry

PASSWORD = "parola123"


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_log_in_is_recorded_with_the_address_and_browser(client, cast):
    client.post(
        reverse("login"),
        {"username": cast.cristina.email, "password": PASSWORD},
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="192.0.2.7",
    )

    [entry] = _entries(Action.LOGIN)
    assert entry.actor == cast.cristina
    assert entry.actor_label == cast.cristina.email
    assert entry.ip == "192.0.2.7"
    assert entry.user_agent == "Firefox/140"


def test_a_failed_log_in_and_the_lockout_are_recorded_for_the_address_typed(client, cast):
    for _ in range(5):
        client.post(
            reverse("login"),
            {"username": cast.cristina.email, "password": "wrong-one-9"},
            REMOTE_ADDR="198.51.100.4",
        )

    failures = _entries(Action.LOGIN_FAILED)
    assert len(failures) >= 3  # slowed down after three: later tries are refused unchecked
    assert failures[0].actor is None
    assert failures[0].actor_label == cast.cristina.email
    assert failures[0].object_id == str(cast.cristina.pk)
    assert failures[0].ip == "198.51.100.4"


def test_the_lockout_is_recorded_once(client, cast, monkeypatch):
    from supportal.accounts import throttle

    now = [timezone.now()]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    for _ in range(8):
        client.post(reverse("login"), {"username": cast.cristina.email, "password": "wrong-one-9"})
        now[0] += dt.timedelta(minutes=2)  # past each slowing-down wait, within the lock

    assert len(_entries(Action.LOGIN_FAILED)) == 5
    assert len(_entries(Action.LOCKOUT)) == 1


def test_log_out_and_ending_sessions_are_recorded(client, cast):
    client.post(reverse("login"), {"username": cast.cristina.email, "password": PASSWORD})
    other = type(client)()
    other.post(reverse("login"), {"username": cast.cristina.email, "password": PASSWORD})

    other.post(reverse("logout"))
    client.post(reverse("login"), {"username": cast.cristina.email, "password": PASSWORD})
    client.post(reverse("accounts:sessions_end_all"))

    [logout, *_rest] = _entries(Action.LOGOUT)
    assert logout.actor == cast.cristina
    [revoked] = _entries(Action.SESSION_REVOKED)
    assert revoked.after == {"ended": 1}
    assert revoked.actor == cast.cristina


def test_a_password_change_is_recorded_without_the_password(client, cast):
    client.force_login(cast.cristina)
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Un-nou-secret-42",
            "new_password2": "Un-nou-secret-42",
        },
    )

    [entry] = _entries(Action.PASSWORD_CHANGED)
    assert entry.actor == cast.cristina
    assert "Un-nou-secret-42" not in str(entry.before) + str(entry.after)


def test_secrets_are_redacted_by_field_name(cast):
    entry = audit.record(
        actor=cast.admin,
        action=Action.SETTINGS_CHANGED,
        before={"password": "p1", "client_secret": "s", "name": "old"},
        after={"nested": {"api_key": "k", "host": "h"}, "name": "new"},
    )

    entry.refresh_from_db()
    assert entry.before == {"password": REDACTED, "client_secret": REDACTED, "name": "old"}
    assert entry.after == {"nested": {"api_key": REDACTED, "host": "h"}, "name": "new"}


def test_an_api_token_created_and_revoked_is_recorded_without_its_text(cast):
    token, text = account_services.api_token_create(user=cast.agent_help, name="CI")
    account_services.api_token_revoke(actor=cast.admin, token_id=token.pk)

    [created] = _entries(Action.API_TOKEN_CREATED)
    [revoked] = _entries(Action.API_TOKEN_REVOKED)
    assert created.after["prefix"] == token.prefix
    assert text.rsplit("_", 1)[1] not in str(created.after)
    assert revoked.actor == cast.admin


def test_an_entry_rolls_back_with_the_change(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        account_services.api_token_create(user=cast.agent_help, name="CI")
        raise RuntimeError

    assert not _entries(Action.API_TOKEN_CREATED)


def test_entries_cannot_be_changed_or_deleted(cast):
    entry = audit.record(actor=cast.admin, action=Action.SETTINGS_CHANGED)

    entry.action = Action.LOGIN
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action=Action.LOGIN)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()


def test_an_unknown_action_is_refused(cast):
    with pytest.raises(ValueError):
        audit.record(actor=cast.admin, action="made_up")


def test_the_purge_keeps_the_retention_and_records_itself(cast):
    now = timezone.now()
    settings_row = AuditSettings.load()
    settings_row.retention_days = 30
    settings_row.save()
    audit.record(actor=cast.admin, action=Action.LOGIN, now=now - dt.timedelta(days=31))
    kept = audit.record(actor=cast.admin, action=Action.LOGIN, now=now - dt.timedelta(days=29))

    assert audit_purge(now) == 1

    assert list(AuditEntry.objects.filter(action=Action.LOGIN)) == [kept]
    [purge] = _entries(Action.AUDIT_PURGED)
    assert purge.after["deleted"] == 1
    assert purge.after["retention_days"] == 30
    assert audit_purge(now) == 0  # nothing more: no empty entry
    assert len(_entries(Action.AUDIT_PURGED)) == 1
    assert "audit.purge" in registry.periodics


def test_a_deleted_account_leaves_its_entries_with_the_address(cast):
    audit.record(actor=cast.outsider, action=Action.LOGIN)

    cast.outsider.delete()

    [entry] = _entries(Action.LOGIN)
    assert entry.actor is None
    assert entry.actor_label == "outsider@nowhere.test"


def test_an_entry_written_through_the_api_names_the_token(client, cast):
    from supportal.accounts.models import User

    token, text = account_services.api_token_create(
        user=cast.agent_help, name="Integration", scope="write"
    )
    customer = User.objects.create_user("nou@example.com", organization=cast.cristina_srl)

    response = client.post(
        f"/api/v1/customers/{customer.pk}/invite",
        HTTP_AUTHORIZATION=f"Bearer {text}",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 200
    [entry] = _entries(Action.INVITATION_SENT)
    assert entry.actor == cast.agent_help
    assert entry.token_label == f"Integration ({token.prefix})"
    assert entry.ip == "203.0.113.9"


def test_a_notification_wording_changed_and_removed_is_recorded(cast):
    from supportal.notifications.services import notification_template_save

    wording = {"subject": "Primit {{ reference }}", "body_text": "Salut", "body_html": ""}
    notification_template_save(
        actor=cast.admin, template="ticket_created", language="ro", **wording
    )
    notification_template_save(
        actor=cast.admin,
        template="ticket_created",
        language="ro",
        subject="",
        body_text="",
        body_html="",
    )

    changed, removed = _entries(Action.TEMPLATE_CHANGED)
    assert changed.before is None
    assert changed.after["body_text"] == "Salut"
    assert removed.before["subject"] == "Primit {{ reference }}"
    assert removed.after is None


def test_the_support_line_set_up_is_recorded(cast):
    from supportal.company.services import support_line_setup

    support_line_setup(actor=cast.admin, phone="+40 21 000 0000")

    [entry] = _entries(Action.SETTINGS_CHANGED)
    assert entry.after == {"phone": "+40 21 000 0000"}
    assert entry.actor == cast.admin
