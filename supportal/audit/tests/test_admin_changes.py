"""Settings edited in the administration site leave entries with the changed values."""

from __future__ import annotations

from django.urls import reverse

from supportal.audit.models import Action, AuditEntry
from supportal.desks.models import DeskMembership, DeskRole


def test_a_membership_made_team_lead_in_the_admin_is_recorded_before_and_after(client, cast):
    membership = DeskMembership.objects.get(user=cast.agent_help, desk=cast.help_desk)
    client.force_login(cast.admin)

    response = client.post(
        reverse("admin:desks_deskmembership_change", args=[membership.pk]),
        {"desk": cast.help_desk.pk, "user": cast.agent_help.pk, "role": DeskRole.TEAM_LEAD},
    )

    assert response.status_code == 302
    [entry] = AuditEntry.objects.filter(action=Action.MEMBERSHIP_CHANGED)
    assert entry.actor == cast.admin
    assert entry.before == {"role": DeskRole.AGENT}
    assert entry.after == {"role": DeskRole.TEAM_LEAD}
    assert entry.desk_id == cast.help_desk.pk


def test_a_membership_deleted_in_the_admin_is_recorded(client, cast):
    membership = DeskMembership.objects.get(user=cast.agent_dev, desk=cast.dev_desk)
    client.force_login(cast.admin)

    client.post(reverse("admin:desks_deskmembership_delete", args=[membership.pk]), {"post": "yes"})

    [entry] = AuditEntry.objects.filter(action=Action.DATA_DELETED)
    assert entry.object_type == "desks.deskmembership"
    assert entry.before["user"] == cast.agent_dev.pk


def test_the_audit_log_is_read_only_in_the_admin(client, cast):
    client.force_login(cast.admin)
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
