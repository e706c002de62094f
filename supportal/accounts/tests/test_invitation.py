"""The invitation (docs/requirements.md A1, A3): "X invited you to the portal", a single-use
expiring link, and every way such a link can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from supportal.accounts import services
from supportal.accounts.models import OrganizationDomain, User
from supportal.accounts.tests.helpers import link_path, mails
from supportal.accounts.tokens import invitation_tokens, password_reset_tokens, uid_encode
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.mail.outbox import outbox_send_due

VALID = "Munte-Rosu-42"


def _invite(cast, email: str = "Ana.Pop@Client.test", **kwargs) -> User:
    kwargs.setdefault("invited_by", cast.agent_help)
    kwargs.setdefault("organization", cast.cristina_srl)
    return services.customer_invite(email=email, **kwargs)


def test_inviting_a_new_customer_creates_the_account_and_queues_the_invitation(cast):
    user = _invite(cast)

    assert user.email == "ana.pop@client.test"
    assert user.organization == cast.cristina_srl
    assert not user.has_usable_password()
    assert (user.invited_by, user.invited_at is not None) == (cast.agent_help, True)
    [invitation] = mails("invitation")
    assert invitation.to == ["ana.pop@client.test"]
    assert invitation.subject == "[Supportal] Welcome to Supportal"
    assert "Bogdan Moraru invited you to the Supportal portal!" in invitation.body_text
    assert "Visit the portal to raise requests and get help." in invitation.body_text
    assert link_path(invitation).startswith("/invitation/")
    assert "The link works once, for 7 days." in invitation.body_text
    assert "Set your password" in invitation.body_html


def test_inviting_twice_makes_one_account_and_sends_one_mail(cast):
    first = _invite(cast)
    second = _invite(cast, email="ANA.POP@client.test")

    assert first == second
    assert User.objects.filter(email="ana.pop@client.test").count() == 1
    assert len(mails("invitation")) == 1


def test_a_new_invitation_goes_out_once_the_first_link_has_expired(cast):
    _invite(cast)
    _invite(cast, now=timezone.now() + timedelta(days=8))

    assert len(mails("invitation")) == 2


def test_a_customer_who_has_a_password_is_not_invited_again(cast):
    user = _invite(cast, email=cast.cristina.email)

    assert user == cast.cristina
    assert mails() == []


def test_an_existing_customer_is_never_moved_to_another_company(cast):
    user = _invite(cast, email=cast.other_customer.email, organization=cast.cristina_srl)

    assert user.organization == cast.other_sa


def test_the_company_defaults_to_the_one_owning_the_address_domain(cast):
    OrganizationDomain.objects.create(organization=cast.other_sa, domain="other.test")

    user = _invite(cast, email="nou@other.test", organization=None)

    assert user.organization == cast.other_sa


def test_inbound_mail_invites_without_a_person_inviting(cast):
    services.customer_invite(email="scrie@client.test", invited_by=None)

    [invitation] = mails("invitation")
    assert "You are invited to the Supportal portal!" in invitation.body_text


def test_the_invitation_is_written_in_the_language_asked_for(cast):
    user = _invite(cast, language="ro")

    assert user.language == "ro"
    assert mails("invitation")[0].language == "ro"


def test_a_customer_admin_invites_colleagues_into_their_own_company_only(cast):
    colleague = services.customer_invite(
        email="nou.coleg@client.test", invited_by=cast.cristina_admin
    )
    assert colleague.organization == cast.cristina_srl

    with pytest.raises(PermissionRefused):
        services.customer_invite(
            email="x@client.test", invited_by=cast.cristina_admin, organization=cast.other_sa
        )


def test_a_customer_who_is_not_an_admin_may_not_invite(cast):
    with pytest.raises(PermissionRefused):
        services.customer_invite(email="x@client.test", invited_by=cast.cristina)
    assert not User.objects.filter(email="x@client.test").exists()


def test_a_malformed_address_is_refused(cast):
    with pytest.raises(InvalidInput):
        _invite(cast, email="not an address")


def test_the_invitation_reaches_the_mailbox_through_the_outbox(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _invite(cast)

    assert outbox_send_due(timezone.now()) == 1

    [message] = mail.outbox
    assert message.to == ["ana.pop@client.test"]
    assert "/invitation/" in message.body


def test_the_invitation_page_shows_the_password_rules_before_typing(client, cast):
    _invite(cast)

    page = client.get(link_path(mails("invitation")[0])).content.decode()

    assert "Your password must follow these rules:" in page
    assert "at least 8 characters" in page
    assert "at least 2 digits and at least 1 letter" in page
    assert "commonly used password" in page
    assert page.index("password-rules") < page.index('name="new_password1"')
    assert "ana.pop@client.test" in page


def test_accepting_the_invitation_sets_the_password_once(client, cast):
    user = _invite(cast)
    path = link_path(mails("invitation")[0])

    response = client.post(path, {"new_password1": VALID, "new_password2": VALID})

    assert response.status_code == 302
    assert response.url == reverse("login")
    user.refresh_from_db()
    assert user.check_password(VALID)
    again = client.get(path).content.decode()
    assert "This link can no longer be used" in again
    assert "already been used" in again
    assert 'name="new_password1"' not in again
    assert client.post(path, {"new_password1": "Alt-Munte-43", "new_password2": "Alt-Munte-43"})
    user.refresh_from_db()
    assert user.check_password(VALID)


def test_a_refused_password_keeps_the_link_usable(client, cast):
    user = _invite(cast)
    path = link_path(mails("invitation")[0])

    page = client.post(path, {"new_password1": "abc", "new_password2": "abc"}).content.decode()

    assert "The password was not accepted" in page
    assert "too short" in page
    assert "too few digits" in page
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert client.post(path, {"new_password1": VALID, "new_password2": VALID}).status_code == 302


def test_an_expired_invitation_says_so_and_sends_a_new_link_on_request(client, cast):
    user = _invite(cast)
    old_token = invitation_tokens.make_token(user, now=timezone.now() - timedelta(days=8))
    path = reverse("accounts:invitation", args=[uid_encode(user), old_token])

    page = client.get(path).content.decode()

    assert "This link has expired" in page
    assert 'name="new_password1"' not in page
    response = client.post(
        reverse("accounts:link_renew"),
        {"kind": "invitation", "uidb64": uid_encode(user), "token": old_token},
    )
    assert response.url == reverse("accounts:link_sent")
    assert len(mails("invitation")) == 2
    fresh = link_path(mails("invitation")[-1])
    assert client.post(fresh, {"new_password1": VALID, "new_password2": VALID}).status_code == 302


def test_the_lifetime_of_invitations_is_the_administrators_setting(client, cast, portal):
    portal.invitation_lifetime_days = 1
    portal.save()
    user = _invite(cast)
    token = invitation_tokens.make_token(user, now=timezone.now() - timedelta(days=2))

    page = client.get(reverse("accounts:invitation", args=[uid_encode(user), token]))

    assert "This link has expired" in page.content.decode()
    assert "for 1 day." in mails("invitation")[0].body_text


@pytest.mark.parametrize(
    "tamper",
    [
        lambda uid, token: (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),
        lambda uid, token: (uid, "zz-" + token.split("-")[1]),
        lambda uid, token: ("bm90LWEtbnVtYmVy", token),
        lambda uid, token: (uid, "garbage"),
    ],
    ids=["signature", "timestamp", "user", "shape"],
)
def test_a_tampered_invitation_link_is_refused(client, cast, tamper):
    user = _invite(cast)
    uid, token = tamper(uid_encode(user), invitation_tokens.make_token(user))
    path = reverse("accounts:invitation", args=[uid, token])

    page = client.get(path).content.decode()
    client.post(path, {"new_password1": VALID, "new_password2": VALID})

    assert "This link can no longer be used" in page
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_tampered_link_gets_no_new_link_by_mail(client, cast):
    user = _invite(cast)
    token = invitation_tokens.make_token(user, now=timezone.now() - timedelta(days=8))

    client.post(
        reverse("accounts:link_renew"),
        {"kind": "invitation", "uidb64": uid_encode(user), "token": token[:-1] + "x"},
    )

    assert len(mails("invitation")) == 1


def test_a_password_reset_link_does_not_open_an_invitation(client, cast):
    user = _invite(cast)
    token = password_reset_tokens.make_token(user)

    page = client.get(reverse("accounts:invitation", args=[uid_encode(user), token]))

    assert "This link can no longer be used" in page.content.decode()
