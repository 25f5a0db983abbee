"""Reading the signed tokens in the links the clinic sends out (reminders, offers, lecture registrations).

A signature proves the clinic made the token, not that its payload has the shape today's reader expects: a token
from an older format or a bug can be genuine and still lack a field or carry the wrong type. Every link reader goes
through `signed_fields_read`, so such a token reads as "not valid" the way a forged one does, never as a 500.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.core import signing

# The largest id Postgres can hold (bigint); anything above cannot name a row.
_LARGEST_ID = 2**63 - 1


def whole_number(value: object) -> int:
    """An id or a Unix timestamp as the clinic signs them: a non-negative int, never a bool, float or string."""
    if type(value) is not int or not 0 <= value <= _LARGEST_ID:
        raise ValueError("not a whole number")
    return value


def text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


def signed_fields_read(
    token: str, *, salt: str, fields: Mapping[str, Callable[[object], Any]], max_age: int | None = None
) -> dict[str, Any] | None:
    """The token's fields, each passed through its reader (which raises ValueError for a value it refuses), when
    the token was signed here with `salt`, is younger than `max_age` seconds and holds every field; None when it
    is forged, altered, expired or malformed."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(payload, dict):
        return None
    try:
        return {name: read(payload[name]) for name, read in fields.items()}
    except (KeyError, ValueError):
        return None
