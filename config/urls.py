from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from supportal.api.urls import not_found
from supportal.api.urls import urls as api_urls
from supportal.core import views as core_views
from supportal.core.admin import queues_view
from supportal.portal.urls import auth_urlpatterns

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers and tools that ask for the classic name get our own icon (docs/portal.md).
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("readyz", core_views.readyz, name="readyz"),
    # The scripts' words in the reader's language, with the language's plural rules
    # (ngettext in JavaScript; docs/languages.md). Private: it follows the reader's language.
    path(
        "jsi18n/",
        cache_control(private=True, max_age=3600)(JavaScriptCatalog.as_view()),
        name="javascript_catalog",
    ),
    path("metrics", core_views.metrics, name="metrics"),
    path("admin/queues/", queues_view, name="admin_queues"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    *auth_urlpatterns,
    path("agent/", include("supportal.workspace.urls")),
    path("", include("supportal.accounts.urls")),
    # Single sign-on for agents through OpenID Connect (docs/sso.md).
    path("sso/", include("supportal.sso.urls")),
    path("notifications/", include("supportal.notifications.urls")),
    # Old links of the system a firm imported from (docs/import.md#old-links).
    path("", include("supportal.imports.urls")),
    path("", include("supportal.portal.urls")),
]
