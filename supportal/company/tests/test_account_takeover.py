"""Account takeover by a customer admin (docs/security.md, Accounts): adding a contact with the
address of someone else's account and inviting it must not hand that account to the admin's
company."""

from __future__ import annotations

import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from supportal.accounts.models import Contact, User
from supportal.accounts.services import customer_invite
from supportal.company import services
from supportal.company.models import ContactChangeKind
from supportal.core.errors import PermissionRefused
from supportal.mail.models import OutboundEmail


@pytest.fixture
def free_mail_user(cast) -> User:
    """A customer who wrote from a free-mail address: an account with a password, no company."""
    return User.objects.create_user(
        "maria.free@freemail.test", password="parola-maria-1", first_name="Maria", last_name="Ene"
    )


@pytest.fixture
def planted(cast, free_mail_user) -> Contact:
    """The customer admin's contact carrying Maria's address."""
    return Contact.objects.create(
        organization=cast.cristina_srl,
        first_name="Maria",
        last_name="Ene",
        email=free_mail_user.email,
    )


def test_inviting_someone_elses_account_does_not_move_it(client, cast, free_mail_user, planted):
    client.force_login(cast.cristina_admin)
    response = client.post(reverse("portal:contact_invite", args=[planted.pk]), follow=True)
    free_mail_user.refresh_from_db()
    planted.refresh_from_db()
    assert free_mail_user.organization is None
    assert planted.user is None
    assert "already has an account" in response.content.decode()
    # No invitation (no password link): only a request for its owner's consent.
    mails = OutboundEmail.objects.filter(to=[free_mail_user.email])
    assert [m.template for m in mails] == ["company_join"]


def test_customer_invite_by_a_customer_admin_never_moves_an_existing_account(cast, free_mail_user):
    user = customer_invite(
        email=free_mail_user.email, invited_by=cast.cristina_admin, organization=cast.cristina_srl
    )
    assert user.organization is None
    user.refresh_from_db()
    assert user.organization is None


def test_an_agent_may_add_an_existing_account_to_a_company(cast, free_mail_user):
    user = customer_invite(
        email=free_mail_user.email, invited_by=cast.agent_help, organization=cast.cristina_srl
    )
    assert user.organization == cast.cristina_srl


def test_a_contact_linked_to_an_account_of_no_company_cannot_rename_or_lock_it(
    cast, free_mail_user, planted
):
    # However the link came about (an old takeover, an import), the account is not the company's.
    Contact.objects.filter(pk=planted.pk).update(user=free_mail_user)
    planted.refresh_from_db()
    values = {"first_name": "Hacked", "last_name": "Name", "email": free_mail_user.email}
    services.contact_update(contact=planted, actor=cast.cristina_admin, values=values)
    services.contact_set_active(contact=planted, actor=cast.cristina_admin, is_active=False)
    free_mail_user.refresh_from_db()
    assert free_mail_user.get_full_name() == "Maria Ene"
    assert free_mail_user.is_active
    # The change log still shows who did what to the contact.
    kinds = list(planted.changes.values_list("kind", "actor"))
    assert (ContactChangeKind.UPDATED, cast.cristina_admin.pk) in kinds
    assert (ContactChangeKind.DEACTIVATED, cast.cristina_admin.pk) in kinds


def test_the_service_refuses_with_a_clear_message_for_another_companys_account(
    cast, free_mail_user, planted
):
    free_mail_user.organization = cast.other_customer.organization
    free_mail_user.save()
    with pytest.raises(PermissionRefused, match="already has an account"):
        services.contact_invite(contact=planted, actor=cast.cristina_admin)
    assert not OutboundEmail.objects.filter(to=[free_mail_user.email]).exists()


def _join_link(user: User) -> str:
    mail = OutboundEmail.objects.get(to=[user.email], template="company_join")
    assert "Cristina" in mail.subject and cast_company_name() in mail.body_text
    return next(w for w in mail.body_text.split() if "/company/join/" in w)


def cast_company_name() -> str:
    from supportal.accounts.models import Organization

    return Organization.objects.get(name__icontains="Cristina").name


def test_the_owner_joins_only_by_confirming_the_link_and_the_change_log_says_so(
    client, cast, free_mail_user, planted
):
    services.contact_invite(contact=planted, actor=cast.cristina_admin)
    path = urlsplit(_join_link(free_mail_user)).path

    # Someone else (the admin herself, say) who opens the link gets "not found".
    client.force_login(cast.cristina_admin)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404

    # The owner sees what joining means; opening the page changes nothing (mail scanners).
    client.force_login(free_mail_user)
    page = client.get(path)
    assert page.status_code == 200 and cast_company_name() in page.content.decode()
    free_mail_user.refresh_from_db()
    assert free_mail_user.organization is None

    done = client.post(path, follow=True)
    assert "You joined" in done.content.decode()
    free_mail_user.refresh_from_db()
    planted.refresh_from_db()
    assert free_mail_user.organization == cast.cristina_srl
    assert planted.user == free_mail_user
    kinds = list(planted.changes.values_list("kind", "actor"))
    assert (ContactChangeKind.INVITED, cast.cristina_admin.pk) in kinds
    assert (ContactChangeKind.JOINED, free_mail_user.pk) in kinds
    # Pressed again: nothing more happens.
    client.post(path)
    assert planted.changes.filter(kind=ContactChangeKind.JOINED).count() == 1


def test_an_altered_or_expired_join_link_does_nothing(client, cast, free_mail_user, planted):
    services.contact_invite(contact=planted, actor=cast.cristina_admin)
    path = urlsplit(_join_link(free_mail_user)).path
    client.force_login(free_mail_user)
    assert client.post(path[:-3] + "xx/").status_code == 404
    later = time.time() + 31 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        expired = client.post(path, follow=True)
    assert "expired" in expired.content.decode()
    free_mail_user.refresh_from_db()
    assert free_mail_user.organization is None
