"""Account pages. ``auth_urlpatterns`` keep the global names ``login`` and ``logout``."""

from django.urls import path

from supportal.accounts import passkey_views, twofactor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/company/", views.CompanyLoginView.as_view(), name="company_login"),
    path("password/forgot/", views.password_forgot, name="password_forgot"),
    path("password/forgot/sent/", views.password_forgot_sent, name="password_forgot_sent"),
    path("password/reset/<str:uidb64>/<str:token>/", views.password_reset, name="password_reset"),
    path("invitation/<str:uidb64>/<str:token>/", views.invitation, name="invitation"),
    path("link/renew/", views.link_renew, name="link_renew"),
    path("link/sent/", views.link_sent, name="link_sent"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/confirm/<str:token>/", views.signup_verify, name="signup_verify"),
    path("language/", views.language_switch, name="language"),
    path("account/", views.profile, name="profile"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/sessions/", views.sessions, name="sessions"),
    path("account/sessions/<int:session_id>/end/", views.session_end, name="session_end"),
    path("account/sessions/end-all/", views.sessions_end_all, name="sessions_end_all"),
    path("account/two-factor/", twofactor_views.twofactor_settings, name="twofactor"),
    path("account/two-factor/codes/", twofactor_views.twofactor_codes_new, name="twofactor_codes"),
    path("account/two-factor/off/", twofactor_views.twofactor_disable, name="twofactor_disable"),
    path(
        "account/two-factor/passkeys/options/",
        passkey_views.register_options,
        name="twofactor_passkey_options",
    ),
    path("account/two-factor/passkeys/", passkey_views.register, name="twofactor_passkey_register"),
    path("login/two-factor/", twofactor_views.twofactor_verify, name="twofactor_verify"),
    path(
        "login/two-factor/passkey/options/",
        passkey_views.login_options,
        name="twofactor_passkey_login_options",
    ),
    path("login/two-factor/passkey/", passkey_views.login, name="twofactor_passkey_login"),
    path("account/tokens/", views.api_tokens, name="api_tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
