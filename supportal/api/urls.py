"""/api/v1/: the API object with its routers (docs/api.md)."""

from supportal.api import directory, tickets
from supportal.api.base import api

api.add_router("/", tickets.router)
api.add_router("/", directory.router)
