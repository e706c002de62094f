from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "supportal.sso"
    label = "sso"
    verbose_name = _("Single sign-on")

    def ready(self) -> None:
        from supportal.accounts import selectors
        from supportal.sso.selectors import sso_only_refusal

        # accounts sits below this app: it asks through the list we register with.
        if sso_only_refusal not in selectors.PASSWORD_LOGIN_REFUSERS:
            selectors.PASSWORD_LOGIN_REFUSERS.append(sso_only_refusal)
