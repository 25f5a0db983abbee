"""The application error type: services raise these, the API and pages turn them into answers."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied


class ApplicationError(Exception):
    """A request the domain refuses. `status` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}


class Conflict(ApplicationError):
    """The request collides with existing state (a booked slot, a full program)."""

    status = 409
    code = "conflict"


class InvalidTransition(ApplicationError):
    """The object is not in a state that allows this action."""

    status = 409
    code = "invalid_transition"


class Unprocessable(ApplicationError):
    """Well-formed input that the domain rules reject."""

    status = 422
    code = "unprocessable"


class PermissionDenied(ApplicationError, DjangoPermissionDenied):
    """A refusal for want of permission: the API answers 403 with its message, and a page that does not catch it
    gets the site's 403 page (it is Django's PermissionDenied too)."""

    status = 403
    code = "permission_denied"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
