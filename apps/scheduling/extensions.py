"""What the apps above scheduling add to its pages, without scheduling importing them.

Scheduling sits below notes, programs and billing, yet its pages show what they know: My day and the session page
link each session's note, the booking form and the series preview warn about the patient's own group meetings, the
cancel, no-show and completion confirmations state what they post, the session page what its outcome charged, and a
booking past a therapist's reduced-fee cap is refused. Each of those apps provides its hook in its AppConfig.ready();
a hook nobody provides answers as if that app were absent (no link, no meeting, no fee, no cap).

Booking checks are the one question many apps answer: may this patient be booked at all? Each app that can refuse
a booking registers its check, and scheduling's booking services ask every one of them before writing.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured

from apps.core.errors import Conflict
from apps.core.models import ClinicSettings


class Hook:
    """One answer scheduling asks of a higher app: called with keyword arguments, provided once."""

    def __init__(self, name: str, default: Callable[..., Any]) -> None:
        self.name = name
        self._default = default
        self._provider: Callable[..., Any] | None = None

    @property
    def provided(self) -> bool:
        return self._provider is not None

    def provide(self, provider: Callable[..., Any]) -> None:
        # Two apps answering the same question would make the page depend on the order of INSTALLED_APPS.
        if self._provider is not None and self._provider is not provider:
            raise ImproperlyConfigured(f"The scheduling hook {self.name!r} is already provided by {self._provider!r}.")
        self._provider = provider

    def __call__(self, **kwargs):
        return (self._provider or self._default)(**kwargs)


# notes: {appointment id: the link (write, continue or view the note) the user sees}
note_links = Hook("note_links", lambda *, user, appointments: {})
# programs: the patient's own group meetings overlapping any of the (start, end) ranges
group_meetings_during = Hook("group_meetings_during", lambda *, patient, ranges: [])
# programs: the booking form's warning about those meetings, or None
group_meetings_warning = Hook("group_meetings_warning", lambda *, patient, ranges: None)
# billing: what completing these sessions, or (policy_fee) cancelling them late or marking them no-shows, would
# post, one answer per session in order (a billing Price: the session's or the policy fee at the patient's class,
# or a package session when `package_session`; or None)
outcome_prices = Hook("outcome_prices", lambda *, appointments, policy_fee: [None] * len(appointments))
# billing: what the session's outcome posted to its patient's account, as the user may see it: a list of
# (what, amount, account link), empty for a user who may not see the account
session_charges = Hook("session_charges", lambda *, user, appointment: [])
# billing: the late-cancellation fees posted for sessions overlapping [start, end), by session id, in one query
# whatever their number, for a user who may see accounts (the calendar labels a late cancel with its fee); empty
# for anyone else
late_cancel_fees = Hook("late_cancel_fees", lambda *, user, start, end: {})

# billing: a new patient for the therapist past their reduced-fee cap is refused (Conflict) unless clinic staff give
# a reason; answers the override reason used, else ""
reduced_fee_cap_enforce = Hook(
    "reduced_fee_cap_enforce",
    lambda *, actor, therapist, patient, override_reason="", exclude_series_id=None: "",
)


@dataclass(frozen=True)
class MovedSession:
    """A session just moved, and when and where it was before: its start, its office's zone and its place (room id,
    location id, by video)."""

    appointment: Any
    previous_start: dt.datetime
    previous_zone: ZoneInfo
    previous_place: tuple[int | None, int | None, bool]

    @staticmethod
    def place_of(appointment) -> tuple[int | None, int | None, bool]:
        return (appointment.room_id, appointment.location_id, appointment.is_telehealth)

    @property
    def time_or_place_changed(self) -> bool:
        """Its date, time, room or office changed (a new facilitator alone is no news to the people attending)."""
        appointment = self.appointment
        return self.previous_start != appointment.start or self.previous_place != self.place_of(appointment)


# programs: group meetings (sessions with no patient) were moved, in the mover's transaction; each `moves` item is a
# MovedSession (what it was before, and the moved appointment). Tells their members; unprovided, it tells no one.
group_meetings_moved = Hook("group_meetings_moved", lambda *, moves: None)

# notes: why these sessions cannot be handed to `therapist` (a note their therapist has started), else None
handover_refusal = Hook("handover_refusal", lambda *, appointments, therapist: None)

# waitlist: why an office's zone cannot change (`closing` False) or it cannot close (`closing` True) while freed
# weekly times are kept there, offered or waiting to be, else None
office_change_refusal = Hook("office_change_refusal", lambda *, location, closing: None)

HOOKS = (
    note_links,
    handover_refusal,
    group_meetings_during,
    group_meetings_warning,
    group_meetings_moved,
    outcome_prices,
    session_charges,
    reduced_fee_cap_enforce,
    office_change_refusal,
)


BookingCheck = Callable[..., str | None]


class BookingChecks:
    """The checks a booking must pass, each registered by the app that owns the rule. A check is called with
    keyword arguments (patient, therapist, service_type, starts: the sessions' start times, series: whether a
    weekly series is being booked, clinic: the clinic's settings row) inside the booking's transaction, and answers
    a refusal message or None."""

    def __init__(self) -> None:
        self._checks: list[BookingCheck] = []

    def register(self, check: BookingCheck) -> None:
        # AppConfig.ready() can run twice in a test process; a check is asked once per booking all the same.
        if check not in self._checks:
            self._checks.append(check)

    def refusal(
        self, *, patient, therapist, service_type, starts, series: bool, clinic: ClinicSettings | None = None
    ) -> str | None:
        """The first refusal, in registration (INSTALLED_APPS) order, or None when every check lets it through.
        A group meeting (no patient) is nobody's booking to refuse. `clinic` is the settings row when the booking
        has read it already; else it is read once for all the checks."""
        if patient is None or not self._checks:
            return None
        clinic = clinic or ClinicSettings.load()
        for check in self._checks:
            message = check(
                patient=patient,
                therapist=therapist,
                service_type=service_type,
                starts=starts,
                series=series,
                clinic=clinic,
            )
            if message:
                return message
        return None

    def enforce(self, **kwargs) -> None:
        """Raise the first refusal as a Conflict (409), before anything is written; the booking form shows it
        above its fields."""
        message = self.refusal(**kwargs)
        if message:
            raise Conflict(message)


booking_checks = BookingChecks()
