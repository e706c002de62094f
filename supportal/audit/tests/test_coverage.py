"""The security and administrative actions that had no entry before now leave one (docs/audit.md,
"What is recorded"): each walked as people do it — pages, forms and the administration — and
read back, also on the administrators' audit log page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.accounts.models import (
    AccessRequest,
    AccessRequestState,
    Contact,
    OrganizationProduct,
)
from supportal.audit.models import Action, AuditEntry
from supportal.company.models import NewsletterList, Subscription, Topic

pytestmark = pytest.mark.django_db


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def _shown_to_administrators(client, cast, action: str) -> str:
    client.force_login(cast.admin)
    page = client.get(reverse("workspace:audit"), {"action": action})
    assert page.status_code == 200
    return page.content.decode()


def test_exports_of_a_request_and_of_the_sla_report_are_recorded(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.lead_help)
    exported = client.get(reverse("workspace:export", args=[ticket.reference]), {"download": "1"})
    assert exported.status_code == 200
    today = dt.date.today()
    for part in ("", "breaches"):
        csv = client.get(
            reverse("workspace:sla_report"),
            {
                "start": (today - dt.timedelta(days=30)).isoformat(),
                "end": today.isoformat(),
                "desk": cast.help_desk.pk,
                "format": "csv",
                "part": part,
            },
        )
        assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")

    record, report, breaches = _entries(Action.EXPORTED)
    assert record.actor == cast.lead_help and record.object_label.startswith(ticket.reference)
    assert record.after == {
        "export": "ticket_record",
        "reference": ticket.reference,
        "download": True,
    }
    assert record.desk_id == cast.help_desk.pk  # the desk's team leads read it
    assert report.after["export"] == "sla_report" and report.after["desk"] == cast.help_desk.pk
    assert breaches.after["export"] == "sla_breaches"
    assert ticket.reference in _shown_to_administrators(client, cast, Action.EXPORTED)


def test_downloads_published_and_newsletters_sent_are_recorded(client, cast):
    topic = Topic.objects.create(name="Actualizări legislative")
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    newsletter = NewsletterList.objects.create(
        name="BUSINESS REPORT", code="000BR", product=cast.product
    )
    contact = Contact.objects.create(
        organization=cast.cristina_srl, first_name="Radu", last_name="Ion", email="radu@x.test"
    )
    Subscription.objects.create(newsletter=newsletter, contact=contact)
    client.force_login(cast.agent_help)

    published = client.post(
        reverse("workspace:download_publish"),
        {
            "product": cast.product.pk,
            "topic": topic.pk,
            "title": "Actualizare 2026",
            "version": "4.2",
            "file": SimpleUploadedFile("actualizare.zip", b"PK-content"),
        },
    )
    assert published.status_code == 302
    sent = client.post(
        reverse("workspace:newsletter", args=[newsletter.pk]),
        {"subject": "Legislative update", "body": "Ce s-a schimbat."},
    )
    assert sent.status_code == 302

    [download] = _entries(Action.DOWNLOAD_PUBLISHED)
    assert download.actor == cast.agent_help
    assert download.after["title"] == "Actualizare 2026"
    assert download.after["file_name"] == "actualizare.zip"
    [issue] = _entries(Action.NEWSLETTER_SENT)
    assert issue.after["subject"] == "Legislative update" and issue.after["recipients"] == 1
    assert "Legislative update" in _shown_to_administrators(client, cast, Action.NEWSLETTER_SENT)


def test_an_agents_notification_choices_are_recorded_before_and_after(client, cast):
    client.force_login(cast.agent_help)
    # Everything on but the new-request mail.
    choices = {
        "has_customer_answer_mail": "on",
        "has_assignment_mail": "on",
        "has_third_party_answer_mail": "on",
        "has_sla_warning_mail": "on",
        "has_cancellation_mail": "on",
    }
    assert client.post(reverse("notifications:preferences"), choices).status_code == 302
    [entry] = _entries(Action.NOTIFICATION_PREFERENCES_CHANGED)
    assert entry.actor == cast.agent_help
    assert entry.before == {"has_new_ticket_mail": True}
    assert entry.after == {"has_new_ticket_mail": False}
    # Saving the same choices again changes nothing and records nothing.
    client.post(reverse("notifications:preferences"), choices)
    assert len(_entries(Action.NOTIFICATION_PREFERENCES_CHANGED)) == 1


def test_access_requests_approved_and_rejected_in_the_admin_are_recorded(client, cast):
    approved = AccessRequest.objects.create(email="maria@firma.test", first_name="Maria")
    rejected = AccessRequest.objects.create(email="spam@spam.test")
    client.force_login(cast.admin)
    changelist = reverse("admin:accounts_accessrequest_changelist")
    client.post(changelist, {"action": "approve", "_selected_action": [approved.pk]})
    client.post(changelist, {"action": "reject", "_selected_action": [rejected.pk]})

    first, second = _entries(Action.ACCESS_REQUEST_DECIDED)
    assert first.actor == cast.admin and first.before == {"state": AccessRequestState.PENDING}
    assert first.after["state"] == AccessRequestState.APPROVED
    assert first.after["email"] == "maria@firma.test"
    assert second.after == {"state": AccessRequestState.REJECTED, "email": "spam@spam.test"}
    assert "spam@spam.test" in _shown_to_administrators(client, cast, Action.ACCESS_REQUEST_DECIDED)


def test_groups_and_permissions_changed_in_the_admin_are_recorded(client, cast):
    client.force_login(cast.admin)
    can_view = Permission.objects.get(codename="view_user")
    added = client.post(
        reverse("admin:auth_group_add"), {"name": "Auditors", "permissions": [can_view.pk]}
    )
    assert added.status_code == 302
    group = Group.objects.get(name="Auditors")
    created = _entries(Action.PERMISSIONS_CHANGED)
    assert [entry.object_label for entry in created] == ["Auditors", "Auditors"]
    assert created[0].after == {"name": "Auditors"}
    assert created[1].before == {"permissions": []}
    assert created[1].after == {"permissions": [str(can_view)]}

    # A user put into the group and given a permission of their own: one entry with both.
    user = cast.agent_help
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "last_login", "date_joined")
    }
    can_change = Permission.objects.get(codename="change_user")
    data.update(
        {
            "groups": [group.pk],
            "user_permissions": [can_change.pk],
            "is_active": "on",
            "is_agent": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        }
    )
    for key in ("groups", "user_permissions"):
        data[key] = [str(pk) for pk in data[key]]
    changed = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    entry = _entries(Action.PERMISSIONS_CHANGED)[-1]
    assert entry.object_label == str(user)
    assert entry.before == {"groups": [], "user_permissions": []}
    assert entry.after == {"groups": ["Auditors"], "user_permissions": [str(can_change)]}
    assert "Auditors" in _shown_to_administrators(client, cast, Action.PERMISSIONS_CHANGED)
