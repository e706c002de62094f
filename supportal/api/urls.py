"""/api/v1/: the API object with its routers (docs/api.md)."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from supportal.api import directory, tickets
from supportal.api.base import api
from supportal.api.errors import problem

api.add_router("/", tickets.router)
api.add_router("/", directory.router)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem-details 404, not the web's HTML page."""
    return problem(404, _("There is no such API address."), code="not_found")
