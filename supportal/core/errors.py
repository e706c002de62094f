"""Typed domain errors: services raise them, every interface turns them into a clear message."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action. ``message`` is translated and safe to show to the person who asked."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(DomainError):
    """The object does not exist, or the user may not see it: the two are deliberately alike."""

    def __init__(self, message: str = "", *, code: str = "not_found") -> None:
        super().__init__(message or "Not found.", code=code)


class PermissionRefused(DomainError):
    """The user can see the object but may not do this to it."""

    def __init__(self, message: str, *, code: str = "permission") -> None:
        super().__init__(message, code=code)


class TransitionRefused(DomainError):
    """The workflow table does not allow this action from the ticket's current status."""

    def __init__(self, message: str, *, code: str = "transition") -> None:
        super().__init__(message, code=code)


class InvalidInput(DomainError):
    """The request is well-formed but a value breaks a rule (length, required field...)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message, code=code)
        self.field = field
