"""Every change to accounts: invitations, passwords, sign-up, access requests, profiles,
sessions and company accounts. Views, the admin, the agent workspace and inbound mail call
these; each docstring states its side effects. Mail is only queued (``core.mails.mail_queue``,
which hands it to the outbox) in the caller's transaction; the worker sends it after commit.

One module per noun; this package re-exports the public names.
"""

from supportal.accounts.services._common import COMPANY_ACCOUNT_DOMAIN, MAIL_REPEAT_DURATION
from supportal.accounts.services.passwords import (
    link_renew,
    password_change,
    password_reset_request,
    password_set,
)
from supportal.accounts.services.profiles import (
    PROFILE_FIELDS,
    login_failure_audit,
    password_login_refused_audit,
    profile_update,
    session_end,
    session_forget,
    session_record,
    session_rekey,
    sessions_end,
    user_language_learn,
)
from supportal.accounts.services.registration import (
    company_account_ensure,
    customer_invite,
    customer_register,
    organization_find_or_create,
)
from supportal.accounts.services.signup import (
    access_request_approve,
    access_request_create,
    access_request_reject,
    signup_complete,
    signup_request,
)
from supportal.accounts.services.tokens import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)

__all__ = [
    "COMPANY_ACCOUNT_DOMAIN",
    "MAIL_REPEAT_DURATION",
    "PROFILE_FIELDS",
    "access_request_approve",
    "access_request_create",
    "access_request_reject",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "company_account_ensure",
    "customer_invite",
    "customer_register",
    "link_renew",
    "login_failure_audit",
    "organization_find_or_create",
    "password_change",
    "password_login_refused_audit",
    "password_reset_request",
    "password_set",
    "profile_update",
    "session_end",
    "session_forget",
    "session_record",
    "session_rekey",
    "sessions_end",
    "signup_complete",
    "signup_request",
    "user_language_learn",
]
