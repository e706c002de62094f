""" "Forgot your password?": a single-use link by e-mail; the answer never tells whether the
address has an account; a customer who has only written by e-mail activates the account this
way (docs/requirements.md A5)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportal.accounts import services
from supportal.accounts.languages import site_locale
from supportal.accounts.tests.helpers import link_path, mails
from supportal.accounts.tokens import password_reset_tokens, uid_encode

NEW = "Vale-Verde-77"


def _statement(sql: str) -> str:
    """``SELECT accounts_user``: the kind of statement and its first table, savepoints aside."""
    if sql.split()[0] in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
        return ""
    match = re.search(r'(?:FROM|INTO|UPDATE) "?(\w+)', sql)
    return f"{sql.split()[0]} {match.group(1) if match else ''}"


def _forgot(client: Client, email: str):
    return client.post(reverse("accounts:password_forgot"), {"email": email}, follow=True)


def test_forgot_password_looks_the_same_for_an_unknown_address_as_for_a_known_one(cast):
    answers, work = [], []
    site_locale()  # cached for every page: a cold cache is not a difference between the paths
    for email in (cast.cristina.email, "nimeni@example.com"):
        web = Client()
        with CaptureQueriesContext(connection) as queries:
            answers.append(_forgot(web, email))
        statements = (_statement(query["sql"]) for query in queries)
        work.append([statement for statement in statements if statement])

    known, unknown = answers
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert "If an account uses that address" in known.content.decode()
    # The same work on both paths (the unknown one renders and writes the mail, then rolls it
    # back), so the time taken gives little away either.
    assert work[0] == work[1]
    assert "INSERT mail_outboundemail" in work[1]
    assert [mail.to for mail in mails("password_reset")] == [[cast.cristina.email]]


def test_a_malformed_address_is_asked_again_without_any_mail(client, db):
    page = client.post(reverse("accounts:password_forgot"), {"email": "nu e adresa"})

    assert page.status_code == 200
    assert "Enter a valid email address." in page.content.decode()
    assert mails() == []


def test_the_reset_link_sets_a_new_password_and_works_once(client, cast):
    _forgot(client, cast.cristina.email)
    [reset] = mails("password_reset")
    assert reset.subject == "[Supportal] Set a new password"
    path = link_path(reset)

    assert "Set a new password" in client.get(path).content.decode()
    response = client.post(path, {"new_password1": NEW, "new_password2": NEW})

    assert response.url == reverse("login")
    cast.cristina.refresh_from_db()
    assert cast.cristina.check_password(NEW)
    assert "This link can no longer be used" in client.get(path).content.decode()


def test_the_reset_link_also_stops_working_once_the_customer_logs_in(client, cast):
    _forgot(client, cast.cristina.email)
    path = link_path(mails("password_reset")[0])

    Client().post(reverse("login"), {"username": cast.cristina.email, "password": "parola123"})

    assert "This link can no longer be used" in client.get(path).content.decode()


def test_a_customer_who_only_wrote_by_email_activates_the_account(client, cast):
    services.customer_invite(email="scrie@client.test", invited_by=None)  # first e-mail

    _forgot(client, "scrie@client.test")

    reset = mails("password_reset")[0]
    assert reset.subject == "[Supportal] Set your password"
    assert "Your account was created when you first wrote to support" in reset.body_text
    response = client.post(link_path(reset), {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert (
        client.post(
            reverse("login"), {"username": "scrie@client.test", "password": NEW}
        ).status_code
        == 302
    )


def test_asking_again_and_again_sends_one_mail_a_minute(client, cast):
    for _ in range(5):
        _forgot(client, cast.cristina.email)

    assert len(mails("password_reset")) == 1


def test_company_accounts_and_inactive_people_get_no_reset_mail(client, cast):
    company = services.company_account_ensure(organization=cast.cristina_srl)
    cast.colleague.is_active = False
    cast.colleague.save()

    _forgot(client, company.email)
    _forgot(client, cast.colleague.email)

    assert mails() == []


def test_setting_a_new_password_logs_out_every_session(cast):
    elsewhere = Client()
    elsewhere.post(reverse("login"), {"username": cast.cristina.email, "password": "parola123"})
    assert elsewhere.get("/").status_code == 200

    services.password_reset_request(email=cast.cristina.email)
    here = Client()
    here.post(link_path(mails("password_reset")[0]), {"new_password1": NEW, "new_password2": NEW})

    assert elsewhere.get("/").status_code == 302


def test_an_expired_reset_link_says_so_and_sends_a_new_one(client, cast):
    token = password_reset_tokens.make_token(cast.cristina, now=timezone.now() - timedelta(days=4))
    uid = uid_encode(cast.cristina)

    page = client.get(reverse("accounts:password_reset", args=[uid, token])).content.decode()
    assert "This link has expired" in page
    client.post(reverse("accounts:link_renew"), {"kind": "reset", "uidb64": uid, "token": token})

    [fresh] = mails("password_reset")
    assert "Here is the new link you asked for." in fresh.body_text
    response = client.post(link_path(fresh), {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302


def test_a_refused_new_password_names_each_broken_rule(client, cast):
    _forgot(client, cast.cristina.email)
    path = link_path(mails("password_reset")[0])

    page = client.post(path, {"new_password1": "vbz", "new_password2": "vbz"}).content.decode()

    assert "This password is too short" in page
    assert "This password has too few digits: it needs at least 2 digits." in page
    page = client.post(
        path, {"new_password1": "Cristina.Tanasescu12", "new_password2": "Cristina.Tanasescu12"}
    ).content.decode()
    assert "too similar" in page
    page = client.post(path, {"new_password1": NEW, "new_password2": "Vale-Verde-78"})
    assert "didn’t match" in page.content.decode()
