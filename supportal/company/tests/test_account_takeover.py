"""Account takeover by a customer admin (docs/security.md, Accounts): adding a contact with the
address of someone else's account and inviting it must not hand that account to the admin's
company."""

from __future__ import annotations

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
    assert not OutboundEmail.objects.filter(to=[free_mail_user.email]).exists()


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


def test_the_service_refuses_with_a_clear_message(cast, free_mail_user, planted):
    with pytest.raises(PermissionRefused, match="already has an account"):
        services.contact_invite(contact=planted, actor=cast.cristina_admin)
