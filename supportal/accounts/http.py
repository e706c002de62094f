"""A typed request for the views that require log-in."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from supportal.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose ``user`` is a signed-in ``User``, never ``AnonymousUser``.

    Only for views behind ``login_required`` or ``agent_required`` (which let no anonymous
    visitor through): the type lets mypy check what the view does with its user.
    """

    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in ``User`` of a request whose type Django fixes as ``HttpRequest``: the
    methods an administration page overrides (``save_model``, ``has_change_permission``…),
    which the admin site calls only for active staff it has signed in.

    An anonymous visitor reaching one is refused (403), never treated as a person.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
