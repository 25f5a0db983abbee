"""The one permission check every view and service makes before acting: `user.has_perm` (django-rules' object
permissions through the accounts backend), refused with a 403: the API's error body with the message, or the
site's 403 page."""

from .errors import PermissionDenied

DENIED = "You may not do that."


def permission_require(user, perm: str, obj=None, message: str = DENIED) -> None:
    """Raise PermissionDenied unless `user` holds `perm` (on `obj` when given). A missing user (a system actor
    where a person is needed) holds nothing."""
    if user is None or not user.has_perm(perm, obj):
        raise PermissionDenied(message)
