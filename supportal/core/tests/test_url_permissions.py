"""Every URL pattern of the site, opened by each kind of visitor, answers as this table says.

The table has one row per URL name; a URL added without a row fails
``test_every_url_has_a_row``, so the permission matrix grows with the site. The objects in the
URLs are Cristina SRL's request on desk HELP and the rows around it (core/tests/urlworld.py).

Answers: ``login`` — sent to log in; ``401`` — the API asks for its token; ``404`` — not
found, as for a missing object; ``403`` — the page saying the workspace is for the support team;
``ok`` — the page or the action (anything else that is not a server error). A view that takes
only POST is posted to, empty.
"""

from __future__ import annotations

import pytest

from supportal.core.tests.urlworld import SignedIn, UrlWorld, url_patterns

ROLES = ("anonymous", "other_company", "requester", "other_desk_agent", "desk_agent")

# Columns: anonymous, a customer of another company, the requester (Cristina), an agent of
# another desk, an agent of the request's desk.
TABLE = """
favicon                                ok    ok    ok    ok    ok
portal:file_preview                    login 404   404   404   404
workspace:quarantine_discard_selected  login 403   403   ok    ok
accounts:api_token_revoke              login 404   404   404   404
accounts:api_tokens                    login ok    ok    ok    ok
accounts:twofactor                     login ok    ok    ok    ok
accounts:twofactor_codes               login ok    ok    ok    ok
accounts:twofactor_disable             login ok    ok    ok    ok
accounts:twofactor_passkey_login       403   ok    ok    ok    ok
accounts:twofactor_passkey_login_options 403 ok    ok    ok    ok
accounts:twofactor_passkey_options     login ok    ok    ok    ok
accounts:twofactor_passkey_register    login ok    ok    ok    ok
accounts:twofactor_verify              login ok    ok    ok    ok
api-v1:attachment_upload               401   401   401   401   401
api-v1:canned_reply_for_ticket         401   401   401   401   401
api-v1:canned_reply_list               401   401   401   401   401
api-v1:canned_reply_send               401   401   401   401   401
api-v1:contact_create                  401   401   401   401   401
api-v1:contact_get                     401   401   401   401   401
api-v1:contact_list                    401   401   401   401   401
api-v1:contact_update                  401   401   401   401   401
api-v1:fields                          401   401   401   401   401
api-v1:saved_view_list                 401   401   401   401   401
javascript_catalog                     ok    ok    ok    ok    ok
workspace:mail_original                login 403   403   404   ok
api-v1:api-root                        404   404   404   404   404
api-v1:assign                          401   401   401   401   401
api-v1:attachment_download             401   401   401   401   401
api-v1:company_change                  ok    ok    ok    ok    ok
api-v1:company_create                  401   401   401   401   401
api-v1:company_find                    401   401   401   401   401
api-v1:customer_change                 401   401   401   401   401
api-v1:customer_create                 401   401   401   401   401
api-v1:customer_find                   401   401   401   401   401
api-v1:customer_get                    401   401   401   401   401
api-v1:customer_invite_send            401   401   401   401   401
api-v1:desk_list                       401   401   401   401   401
api-v1:feedback                        401   401   401   401   401
api-v1:mute                            401   401   401   401   401
api-v1:openapi-json                    ok    ok    ok    ok    ok
api-v1:openapi-view                    ok    ok    ok    ok    ok
api-v1:participant_add                 401   401   401   401   401
api-v1:participant_remove              ok    ok    ok    ok    ok
api-v1:priority_list                   401   401   401   401   401
api-v1:quote_answer                    401   401   401   401   401
api-v1:quote_propose                   401   401   401   401   401
api-v1:search                          401   401   401   401   401
api-v1:ticket                          401   401   401   401   401
api-v1:ticket_action                   401   401   401   401   401
api-v1:ticket_comment                  401   401   401   401   401
api-v1:ticket_create                   401   401   401   401   401
api-v1:ticket_list                     401   401   401   401   401
workspace:csat_report                  login 403   403   403   403
workspace:audit                        login 403   403   404   404
workspace:audit_csv                    login 403   403   404   404
accounts:company_login                 404   404   404   404   404
accounts:invitation                    ok    ok    ok    ok    ok
accounts:language                      ok    ok    ok    ok    ok
accounts:link_renew                    ok    ok    ok    ok    ok
accounts:link_sent                     ok    ok    ok    ok    ok
accounts:password_change               login ok    ok    ok    ok
accounts:password_forgot               ok    ok    ok    ok    ok
accounts:password_forgot_sent          ok    ok    ok    ok    ok
accounts:password_reset                ok    ok    ok    ok    ok
accounts:profile                       login ok    ok    ok    ok
accounts:session_end                   login 404   404   404   404
accounts:sessions                      login ok    ok    ok    ok
accounts:sessions_end_all              login login login login login
accounts:signup                        ok    ok    ok    ok    ok
accounts:signup_sent                   ok    ok    ok    ok    ok
accounts:signup_verify                 ok    ok    ok    ok    ok
admin:login                            ok    ok    ok    ok    ok
admin:logout                           ok    ok    ok    ok    ok
healthz                                ok    ok    ok    ok    ok
login                                  ok    ok    ok    ok    ok
logout                                 login login login login login
metrics                                404   404   404   404   404
notifications:mute                     404   404   404   404   404
notifications:outbox                   login 404   404   404   404
notifications:outbox_email             login 404   404   404   404
notifications:outbox_html              login 404   404   404   404
notifications:preferences              login 403   403   ok    ok
notifications:template_edit            login 404   404   404   404
notifications:templates                login 404   404   404   404
portal:action                          login 404   ok    404   ok
portal:article                         login 404   404   ok    ok
portal:article_feedback                login 404   404   ok    ok
portal:article_picture                 login 404   404   ok    ok
portal:articles                        login ok    ok    ok    ok
portal:awaiting                        login ok    ok    ok    ok
portal:comment                         login 404   ok    404   ok
portal:company_join                    login 404   404   404   404
portal:contact                         login 404   404   404   404
portal:contact_active                  login 404   404   404   404
portal:contact_invite                  login 404   404   404   404
portal:contact_new                     login 404   404   404   404
portal:contact_subscriptions           login 404   404   404   404
portal:contacts                        login 404   404   404   404
portal:download_file                   login 404   404   ok    ok
portal:downloads                       login ok    ok    ok    ok
portal:feedback                        login 404   ok    404   ok
portal:file                            login 404   ok    404   ok
portal:help                            ok    ok    ok    ok    ok
portal:mute                            login 404   ok    404   ok
portal:my_newsletters                  login ok    ok    ok    ok
imports:old_helpdesk                   login 404   ok    404   ok
imports:old_helpdesk_public            login 404   404   404   404
imports:old_login                      login login login login login
imports:old_request                    login 404   ok    404   ok
imports:old_osticket_staff             login 404   404   404   404
imports:old_osticket_ticket            login 404   404   404   404
imports:old_osticket_view              login 404   404   404   404
portal:new                             login ok    ok    ok    ok
portal:newsletter_unsubscribe          404   404   404   404   404
portal:participant_add                 login 404   ok    404   ok
portal:participant_remove              login 404   ok    404   ok
portal:quote_answer                    login 404   ok    404   ok
portal:record                          login 404   ok    404   ok
portal:request                         login 404   ok    404   ok
portal:requests                        login ok    ok    ok    ok
portal:suggestion_open                 login 404   404   ok    ok
portal:suggestions                     login ok    ok    ok    ok
workspace:article                      login 403   403   ok    ok
workspace:article_edit                 login 403   403   ok    ok
workspace:article_from                 login 403   403   404   ok
workspace:article_new                  login 403   403   ok    ok
workspace:article_publish              login 403   403   ok    ok
workspace:article_picture_add          login 403   403   ok    ok
workspace:article_report               login 403   403   404   404
workspace:articles                     login 403   403   ok    ok
workspace:suggestions                  login 403   403   404   ok
readyz                                 ok    ok    ok    ok    ok
sso:callback                           404   404   404   404   404
sso:start                              404   404   404   404   404
workspace:action                       login 403   403   404   ok
workspace:assign                       login 403   403   404   ok
workspace:bulk                         login 403   403   ok    ok
workspace:canned                       login 403   403   ok    ok
workspace:canned_delete                login 403   403   404   ok
workspace:canned_edit                  login 403   403   404   404
workspace:comment                      login 403   403   404   ok
workspace:companies                    login 403   403   ok    ok
workspace:company                      login 403   403   ok    ok
workspace:contact                      login 403   403   ok    ok
workspace:contact_active               login 403   403   ok    ok
workspace:contact_invite               login 403   403   ok    ok
workspace:contact_new                  login 403   403   ok    ok
workspace:contact_subscriptions        login 403   403   ok    ok
workspace:counts                       login 403   403   ok    ok
workspace:live                         401   403   403   ok    ok
workspace:live_last                    login 403   403   ok    ok
workspace:download_publish             login 403   403   ok    ok
workspace:downloads                    login 403   403   ok    ok
workspace:export                       login 403   403   404   ok
workspace:fields                       login 403   403   404   ok
workspace:leave                        login 403   403   404   ok
workspace:newsletter                   login 403   403   ok    ok
workspace:newsletter_issue             login 403   403   ok    ok
workspace:newsletters                  login 403   403   ok    ok
workspace:participant_add              login 403   403   404   ok
workspace:participant_remove           login 403   403   404   ok
workspace:presence                     login 403   403   404   ok
workspace:quarantine                   login 403   403   ok    ok
workspace:quarantine_decide            login 403   403   404   ok
workspace:quarantine_discard_sender    login 403   403   404   ok
workspace:quarantine_sender_rule_remove login 403  403   404   ok
workspace:quarantine_detail            login 403   403   404   ok
workspace:queue                        login 403   403   ok    ok
workspace:quote                        login 403   403   404   ok
workspace:register                     login 403   403   ok    ok
workspace:requester_lookup             login 403   403   ok    ok
workspace:setup                        login 403   403   403   403
workspace:sla_report                   login 403   403   403   403
workspace:ticket                       login 403   403   404   ok
workspace:view_delete                  login 403   403   404   ok
workspace:view_save                    login 403   403   ok    ok
"""

# The administration site: staff only, everyone else is sent to its log-in page.
ADMIN = ("login", "login", "login", "login", "login")


def _rows() -> dict[str, tuple[str, ...]]:
    rows: dict[str, tuple[str, ...]] = {}
    for line in TABLE.strip().splitlines():
        name, *answers = line.split()
        assert len(answers) == len(ROLES), line
        rows[name] = tuple(answers)
    return rows


ROWS = _rows()
PATTERNS = url_patterns()


def expected(name: str) -> tuple[str, ...] | None:
    if name in ROWS:
        return ROWS[name]
    if name.startswith("admin:") or name == "admin_queues":
        return ADMIN
    return None


def answer(world: UrlWorld, name: str, role: str, signed_in: SignedIn) -> str:
    cast = world.cast
    user = {
        "anonymous": None,
        "other_company": cast.other_customer,
        "requester": cast.cristina,
        "other_desk_agent": cast.agent_dev,
        "desk_agent": cast.agent_help,
    }[role]
    pattern = next(p for p in PATTERNS if p.name == name)
    url = world.url(pattern)
    client = signed_in(user)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    status = response.status_code
    assert status != 500, (name, role)
    location = response.get("Location", "") if status in (301, 302) else ""
    if location.startswith(("/login/", "/admin/login/")):
        return "login"
    if status in (401, 403, 404):
        return str(status)
    return "ok"


def test_every_url_has_a_row():
    missing = [p.name for p in PATTERNS if expected(p.name) is None]
    assert missing == [], f"URLs without a row in the permission table: {missing}"
    gone = sorted(set(ROWS) - {p.name for p in PATTERNS})
    assert gone == [], f"rows for URLs that no longer exist: {gone}"


SITE = [p.name for p in PATTERNS if p.name in ROWS and not p.name.startswith("admin:")]
ADMIN_SITE = [p.name for p in PATTERNS if p.name.startswith("admin:") or p.name == "admin_queues"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", SITE)
def test_each_visitor_gets_the_expected_answer(world, signed_in, name, role):
    # One visitor per test: an action one of them takes is rolled back before the next.
    assert answer(world, name, role, signed_in) == expected(name)[ROLES.index(role)]


@pytest.mark.parametrize("name", ADMIN_SITE)
def test_the_administration_site_is_for_staff_only(world, signed_in, name):
    assert tuple(answer(world, name, role, signed_in) for role in ROLES) == expected(name)
