"""Signed confirm / cancel links in reminders.

A token names the appointment, the action, the start it was issued for and when it stops working (the
session's start). It is signed with SECRET_KEY, so it cannot be made up or altered; a rescheduled session
has a different start, so links from older reminders stop working too. The claim also carries when the token
was signed, so the page can refuse a link sent before the patient's email or number changed
(patients.rules.link_sent_before_contact_change).
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from apps.core import clock
from apps.core.errors import NotFound
from apps.core.links import absolute_url
from apps.core.signed_links import signed_fields_read, text, whole_number

SALT = "notifications.appointment-link"
ACTIONS = frozenset({"confirm", "cancel"})


@dataclass(frozen=True)
class LinkClaim:
    appointment_id: int
    action: str
    start: dt.datetime
    signed_at: dt.datetime


def appointment_link_token(*, appointment, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"Unknown link action {action!r}")
    payload = {"a": appointment.pk, "x": action, "s": int(appointment.start.timestamp())}
    return signing.dumps(payload, salt=SALT, compress=True)


def appointment_link_url(*, appointment, action: str) -> str:
    token = appointment_link_token(appointment=appointment, action=action)
    return absolute_url(reverse(f"notifications:appointment_{action}", args=[token]))


def _start(value: object) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(whole_number(value), tz=dt.UTC)
    except (OverflowError, OSError) as exc:  # past the year 9999 or what the platform's clock can hold
        raise ValueError("not a time") from exc


def appointment_link_read(*, token: str, action: str) -> LinkClaim:
    """The claim in a valid, unexpired token for this action; NotFound otherwise (forged, altered, malformed, old)."""
    claim = signed_fields_read(token, salt=SALT, fields={"a": whole_number, "x": text, "s": _start})
    if claim is None or claim.fields["x"] != action:
        raise NotFound("This link is not valid.")
    start = claim.fields["s"]
    if clock.now() >= start:
        raise NotFound("This link has expired: the session has already started.")
    return LinkClaim(appointment_id=claim.fields["a"], action=action, start=start, signed_at=claim.signed_at)
