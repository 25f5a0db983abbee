"""Reading the signed tokens in the links the clinic sends out (reminders, offers, lecture registrations).

A signature proves the clinic made the token, not that its payload has the shape today's reader expects: a token
from an older format or a bug can be genuine and still lack a field or carry the wrong type. Every link reader goes
through `signed_fields_read`, so such a token reads as "not valid" the way a forged one does, never as a 500.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SignedFields:
    """A token's fields, and when the clinic signed it: Django's signing stamps every token with its time, in whole
    seconds, so tokens signed before a reader started asking carry it too."""

    fields: dict[str, Any]
    signed_at: dt.datetime


def _signed_at(token: str) -> dt.datetime:
    # A verified token reads "payload:timestamp:signature", the timestamp in base 62 (django.core.signing).
    stamp = token.rsplit(":", 2)[1]
    return dt.datetime.fromtimestamp(signing.b62_decode(stamp), tz=dt.UTC)


def signed_fields_read(
    token: str, *, salt: str, fields: Mapping[str, Callable[[object], Any]], max_age: int | None = None
) -> SignedFields | None:
    """The token's fields, each passed through its reader (which raises ValueError for a value it refuses), and its
    signing time, when the token was signed here with `salt`, is younger than `max_age` seconds and holds every
    field; None when it is forged, altered, expired or malformed."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(payload, dict):
        return None
    try:
        read = {name: reader(payload[name]) for name, reader in fields.items()}
    except (KeyError, ValueError):
        return None
    return SignedFields(fields=read, signed_at=_signed_at(token))
