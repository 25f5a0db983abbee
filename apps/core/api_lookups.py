"""Ids taken from API routes, query strings and posted forms."""

from rest_framework.exceptions import NotFound

MAX_ID_DIGITS = 18  # every id fits a bigint; a longer string of digits names nothing


def object_id(value, *, message: str = "Not found.") -> int:
    """The id a route names. Anything that is not one is simply not found (404), never a lookup that fails."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS):
        raise NotFound(message)
    return int(text)


def id_or_none(value) -> int | None:
    """An id given as a filter, or None when the value is not one (str.isdigit alone also accepts "²")."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None
