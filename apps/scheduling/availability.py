"""Is a slot free? Collisions with other appointments, working hours and time off, answered for many slots at once.

Pure reads shared by the booking services and the conflict preview; a constant number of queries per call,
however many slots are asked about.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Q
from django.utils import timezone

from apps.core import clock
from apps.core.json_rows import from_row, row_of
from apps.core.time_zones import clinic_zone_name, zone_time
from apps.core.when import clock_span_text

from .models import BLOCKING_STATUSES, TIME_OFF_REACH, Appointment, Location, TimeOff, Weekday, WorkingHours


@dataclass(frozen=True)
class Collision:
    """An existing appointment a proposed slot overlaps, and on which of therapist / room / patient."""

    appointment: Appointment
    collides_on: tuple[str, ...]

    elsewhere: str = ""  # the other session's location, when it is not the one asked about
    here: ZoneInfo = field(default_factory=clock.clinic_tz)  # the clock of the location asked about

    def as_dict(self) -> dict:
        return {
            "id": self.appointment.pk,
            "start": self.appointment.local_start.isoformat(),
            "end": self.appointment.local_end.isoformat(),
            "collides_on": list(self.collides_on),
            "location": self.appointment.location.name,
        }

    def describe(self) -> str:
        """In the other session's own local time, naming its location when it is another one (a therapist is in one
        place at a time). Its zone is named in words ("Sao Paulo time") when it is not the clinic's or not the clock
        of the location asked about, and then the time on that clock follows ("(10:00 AM–10:45 AM here)"), the one
        the form's times are typed on. Never whose session it is: a patient booking online may read it; the API's
        answer carries the session's id beside it."""
        local, end = self.appointment.local_start, self.appointment.local_end
        *others, last = [f"the {thing}" for thing in self.collides_on]
        whose = f"{', '.join(others)} and {last}" if others else last
        verb = "have" if others else "has"
        where = f" at {self.elsewhere}" if self.elsewhere else ""
        zone = self.appointment.zone
        when = f"{local:%a %b} {local.day}, {clock_span_text(local, end)}"
        if self.appointment.zone_differs or zone.key != self.here.key:
            when += f" {zone_time(zone)}"
        here, here_end = timezone.localtime(self.appointment.start, self.here), timezone.localtime(end, self.here)
        # Compared by what the clocks read, as when_text does: two names for one clock are not told twice.
        if here.replace(tzinfo=None) != local.replace(tzinfo=None):
            day = "" if here.date() == local.date() else f"{here:%a} "
            when += f" ({day}{clock_span_text(here, here_end)} here)"
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
    one when not given), in its zone. One query reads the other sessions, the working hours and the time off."""
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
    existing, hours, time_off = _around(
        therapist,
        Appointment.objects.filter(who, status__in=BLOCKING_STATUSES, start__lt=high, end__gt=low)
        .exclude(pk__in=exclude_ids)
        .order_by("start", "pk"),
        WorkingHours.objects.filter(therapist=therapist).order_by("weekday", "start_time", "pk"),
        TimeOff.objects.filter(
            therapist=therapist, start__lt=high + TIME_OFF_REACH, end__gt=low - TIME_OFF_REACH
        ).order_by("start", "pk"),
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
                slot.collisions.append(
                    Collision(appointment=other, collides_on=tuple(on), elsewhere=elsewhere, here=location.zone)
                )
        slot.unavailable = _unavailability(name, slot, location, hours, time_off)
        slot.in_time_off = any(off.covers(slot.start, slot.end, slot.zone) for off in time_off)
    return slots


def _around(therapist, existing, hours, time_off) -> tuple[list[Appointment], list[WorkingHours], list[TimeOff]]:
    """The other sessions (with their locations), the working hours (with theirs) and the time off, in one query:
    each as an array of rows beside the therapist's own row, so none of them needs rows of the others to arrive."""
    with_location = {"location": row_of(Location, "location__")}
    found = (
        type(therapist)
        ._default_manager.filter(pk=therapist.pk)
        .values(
            existing_rows=ArraySubquery(existing.values(row=row_of(Appointment, **with_location))),
            hours_rows=ArraySubquery(hours.values(row=row_of(WorkingHours, **with_location))),
            time_off_rows=ArraySubquery(time_off.values(row=row_of(TimeOff))),
        )
        .first()
    ) or {"existing_rows": [], "hours_rows": [], "time_off_rows": []}
    return (
        [from_row(Appointment, row) for row in found["existing_rows"]],
        [from_row(WorkingHours, row) for row in found["hours_rows"]],
        [from_row(TimeOff, row) for row in found["time_off_rows"]],
    )


def _holds(hours: WorkingHours, slot: Slot) -> bool:
    """Whether the block holds the whole slot, both read on the clock of the block's location."""
    start, end = timezone.localtime(slot.start, hours.location.zone), timezone.localtime(slot.end, hours.location.zone)
    return (
        start.weekday() == hours.weekday
        and end.date() == start.date()
        and hours.start_time <= start.time()
        and end.time() <= hours.end_time
    )


def _unavailability(
    name: str, slot: Slot, location: Location, hours: list[WorkingHours], time_off: list[TimeOff]
) -> str:
    """Why the therapist cannot be booked for the slot at `location`, or "". Hours at every location count: a
    therapist with no hours here on that weekday may keep it at another office (on its own clock), and is then told
    where they work, never that they do not work that day."""
    for off in time_off:
        if off.covers(slot.start, slot.end, slot.zone):
            reason = f" ({off.reason})" if off.reason else ""
            return f"{name} has time off then{reason}."
    holding = [h for h in hours if _holds(h, slot)]
    if any(h.location_id == location.pk for h in holding):
        return ""
    if holding:
        there = holding[0]
        hours_there = clock_span_text(there.start_time, there.end_time)
        if _clock_named(there.location.zone, location.zone):
            hours_there += f" {zone_time(there.location.zone)}"
        return (
            f"At {_slot_when(slot, holding, location)} {name} works at {there.location.name} ({hours_there}), "
            f"not at {location.name}."
        )
    here_day = slot.local_start.weekday()
    # Each block's weekday is read on its own office's clock: late evening here may be tomorrow there.
    blocks = sorted(
        (h for h in hours if h.weekday == _day_on(slot, h.location)),
        key=lambda h: (h.location_id != location.pk, h.start_time),
    )
    elsewhere = {h.location_id: h.location for h in hours if _day_on(slot, h.location) != here_day}
    if not elsewhere:
        weekday = Weekday(here_day).label
        if not blocks:
            return f"{name} does not work on {weekday}s."
        spans = ", ".join(_hours_text(h, location) for h in blocks)
        return f"{_slot_when(slot, blocks, location)} is outside {name}'s working hours on {weekday}s ({spans})."
    when = _slot_when(slot, blocks, location) + _other_days_text(slot, elsewhere.values())
    if blocks:
        spans = ", ".join(f"{Weekday(h.weekday).label}s {_hours_text(h, location)}" for h in blocks)
        return f"{when} is outside {name}'s working hours ({spans})."
    days = [f"on {Weekday(here_day).label}s at {location.name}"]
    days += [f"on {Weekday(_day_on(slot, office)).label}s at {office.name}" for office in elsewhere.values()]
    return f"{when} is outside {name}'s working hours: none {', nor '.join(days)}."


def _day_on(slot: Slot, office: Location) -> int:
    """The slot's weekday on `office`'s clock."""
    return timezone.localtime(slot.start, office.zone).weekday()


def _other_days_text(slot: Slot, offices) -> str:
    """The slot on each other clock that reads another day ("(Fri 1:00 AM–1:45 AM New York time)"), once a clock."""
    told = {}
    for office in offices:
        there, there_end = timezone.localtime(slot.start, office.zone), timezone.localtime(slot.end, office.zone)
        told.setdefault(office.zone.key, f"{there:%a} {clock_span_text(there, there_end)} {zone_time(office.zone)}")
    return "".join(f" ({text})" for text in told.values())


def _slot_when(slot: Slot, blocks: list[WorkingHours], location: Location) -> str:
    """The slot on its office's clock, named as soon as one of the hours beside it is read on another (or it is not
    the clinic's)."""
    named = any(_clock_named(h.location.zone, location.zone) for h in blocks) or slot.zone_differs
    return clock_span_text(slot.local_start, slot.local_end) + (f" {zone_time(slot.zone)}" if named else "")


def _clock_named(zone: ZoneInfo, here: ZoneInfo) -> bool:
    """A time on `zone` names its clock when it is not the clinic's, or not the one the reader is booking on."""
    return zone.key != clinic_zone_name() or zone.key != here.key


def _hours_text(hours: WorkingHours, location: Location) -> str:
    """A block of working hours on its location's clock ("9:00 AM–6:00 PM New York time at Main office"), the
    clock and the office named when they are not the ones booked at."""
    text = clock_span_text(hours.start_time, hours.end_time)
    if _clock_named(hours.location.zone, location.zone):
        text += f" {zone_time(hours.location.zone)}"
    if hours.location_id != location.pk:
        text += f" at {hours.location.name}"
    return text
