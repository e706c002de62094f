from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "supportal.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from supportal.accounts import receivers  # noqa: F401  (connects the signal receivers)
        from supportal.accounts.languages import site_language
        from supportal.accounts.services.tokens import api_idempotency_keys_forget
        from supportal.core.jobs import register_periodic
        from supportal.core.names import reader_first_install, site_language_source

        # Names typed in several languages fall back to the site's (docs/languages.md#names).
        site_language_source(site_language)
        reader_first_install()
        register_periodic(
            "accounts.idempotency_keys_forget",
            api_idempotency_keys_forget,
            every=timedelta(hours=1),
        )
