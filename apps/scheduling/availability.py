"""Is a slot free? Collisions with other appointments, working hours and time off, answered for many slots at once.

Pure reads shared by the booking services and the conflict preview; a constant number of queries per call,
however many slots are asked about.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from apps.core import clock
from apps.core.time_zones import zone_time
from apps.core.when import clock_span_text

from .models import BLOCKING_STATUSES, TIME_OFF_REACH, Appointment, Location, TimeOff, Weekday, WorkingHours


@dataclass(frozen=True)
class Collision:
    """An existing appointment a proposed slot overlaps, and on which of therapist / room / patient."""

    appointment: Appointment
    collides_on: tuple[str, ...]

    elsewhere: str = ""  # the other session's location, when it is not the one asked about

    def as_dict(self) -> dict:
        return {
            "id": self.appointment.pk,
            "start": self.appointment.local_start.isoformat(),
            "end": self.appointment.local_end.isoformat(),
            "collides_on": list(self.collides_on),
            "location": self.appointment.location.name,
        }

    def describe(self) -> str:
        """In the other session's own local time (its zone in words when not the clinic's: "Sao Paulo time"), naming
        its location when it is another one (a therapist is in one place at a time). Never whose session it is: a
        patient booking online may read it; the API's answer carries the session's id beside it."""
        local, end = self.appointment.local_start, self.appointment.local_end
        *others, last = [f"the {thing}" for thing in self.collides_on]
        whose = f"{', '.join(others)} and {last}" if others else last
        verb = "have" if others else "has"
        where = f" at {self.elsewhere}" if self.elsewhere else ""
        zone = f" {zone_time(self.appointment.zone)}" if self.appointment.zone_differs else ""
        when = f"{local:%a %b} {local.day}, {clock_span_text(local, end)}{zone}"
        return f"{whose[0].upper()}{whose[1:]} already {verb} a session{where} on {when}."


@dataclass
class Slot(clock.LocalSpan):
    """A span asked about, timed in the zone of the location it would be at."""

    start: dt.datetime
    end: dt.datetime
    collisions: list[Collision] = field(default_factory=list)
    unavailable: str = ""
    in_time_off: bool = False  # unavailable because of time off (not only outside working hours)
    tz: ZoneInfo = field(default_factory=clock.clinic_tz)
    location: Location | None = None

    @property
    def zone(self) -> ZoneInfo:
        return self.tz

    @property
    def is_free(self) -> bool:
        return not self.collisions and not self.unavailable

    @property
    def in_past(self) -> bool:
        """Already over: a slot free of others, but booking it records a session rather than plans one. One under
        way is not (a walk-in entered a few minutes after it began)."""
        return self.end <= clock.now()

    def as_dict(self) -> dict:
        return {
            "start": self.local_start.isoformat(),
            "end": self.local_end.isoformat(),
            "date": self.local_start.date().isoformat(),
            "conflicts": [c.as_dict() for c in self.collisions],
            "unavailable": self.unavailable,
            "in_past": self.in_past,
        }


def slots_check(
    *,
    therapist,
    patient_id: int | None,
    room_id: int | None,
    spans: list[tuple[dt.datetime, dt.datetime]],
    location: Location | None = None,
    exclude_ids: frozenset[int] = frozenset(),
) -> list[Slot]:
    """Check each (start, end) span for collisions and for the therapist's availability at `location` (the main
    one when not given), in its zone. Three queries in all."""
    location = location or Location.main()
    slots = [Slot(start=s, end=e, tz=location.zone, location=location) for s, e in spans]
    if not slots:
        return slots
    low, high = min(s.start for s in slots), max(s.end for s in slots)
    who = Q(therapist=therapist)
    if room_id is not None:
        who |= Q(room_id=room_id)
    if patient_id is not None:
        who |= Q(patient_id=patient_id)
    existing = list(
        Appointment.objects.filter(who, status__in=BLOCKING_STATUSES, start__lt=high, end__gt=low)
        .exclude(pk__in=exclude_ids)
        .select_related("location")
        .order_by("start", "pk")
    )
    hours = list(WorkingHours.objects.filter(therapist=therapist).select_related("location"))
    time_off = list(
        TimeOff.objects.filter(therapist=therapist, start__lt=high + TIME_OFF_REACH, end__gt=low - TIME_OFF_REACH)
    )
    name = therapist.full_name or therapist.email
    for slot in slots:
        for other in existing:
            if other.start < slot.end and other.end > slot.start:
                on = []
                if other.therapist_id == therapist.pk:
                    on.append("therapist")
                if room_id is not None and other.room_id == room_id:
                    on.append("room")
                if patient_id is not None and other.patient_id == patient_id:
                    on.append("patient")
                elsewhere = other.location.name if other.location_id != location.pk else ""
                slot.collisions.append(Collision(appointment=other, collides_on=tuple(on), elsewhere=elsewhere))
        slot.unavailable = _unavailability(name, slot, [h for h in hours if h.location_id == location.pk], time_off)
        slot.in_time_off = any(off.covers(slot.start, slot.end, slot.zone) for off in time_off)
        if slot.unavailable and any(h.location_id != location.pk for h in hours):
            slot.unavailable = _elsewhere(name, slot, location, hours) or slot.unavailable
    return slots


def _elsewhere(name: str, slot: Slot, location: Location, hours: list[WorkingHours]) -> str:
    """Where the therapist works at that time instead, when it is another location's hours (in its zone)."""
    for h in hours:
        if h.location_id == location.pk:
            continue
        start, end = timezone.localtime(slot.start, h.location.zone), timezone.localtime(slot.end, h.location.zone)
        if start.weekday() == h.weekday and h.start_time <= start.time() and end.time() <= h.end_time:
            return f"{name} works at {h.location.name} then, not at {location.name}."
    return ""


def _unavailability(name: str, slot: Slot, hours: list[WorkingHours], time_off: list[TimeOff]) -> str:
    for off in time_off:
        if off.covers(slot.start, slot.end, slot.zone):
            reason = f" ({off.reason})" if off.reason else ""
            return f"{name} has time off then{reason}."
    start, end = slot.local_start, slot.local_end
    weekday = start.weekday()
    blocks = [h for h in hours if h.weekday == weekday]
    if not blocks:
        return f"{name} does not work on {Weekday(weekday).label}s."
    if end.date() == start.date() and any(h.start_time <= start.time() and end.time() <= h.end_time for h in blocks):
        return ""
    spans = ", ".join(clock_span_text(h.start_time, h.end_time) for h in sorted(blocks, key=lambda h: h.start_time))
    return f"{clock_span_text(start, end)} is outside {name}'s working hours on {Weekday(weekday).label}s ({spans})."
