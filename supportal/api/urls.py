"""/api/v1/: the API object with its routers (docs/api.md)."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from supportal.api import (
    directory,
    ticket_changes,  # noqa: F401  (its operations join tickets.router)
    tickets,
    work,
)
from supportal.api.base import api
from supportal.api.errors import problem
from supportal.api.idempotency import wrap_patterns

api.add_router("/", tickets.router)
api.add_router("/", directory.router)
api.add_router("/", work.router)

_patterns, _app_name, _namespace = api.urls
# include() form for config/urls.py: every view with the Idempotency-Key handling.
urls = (wrap_patterns(list(_patterns)), _app_name, _namespace)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem-details 404, not the web's HTML page."""
    return problem(404, _("There is no such API address."), code="not_found")
