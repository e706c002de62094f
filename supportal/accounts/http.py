"""A typed request for the views that require log-in."""

from __future__ import annotations

from django.http import HttpRequest

from supportal.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose ``user`` is a signed-in ``User``, never ``AnonymousUser``.

    Only for views behind ``login_required`` or ``agent_required`` (which let no anonymous
    visitor through): the type lets mypy check what the view does with its user.
    """

    user: User
