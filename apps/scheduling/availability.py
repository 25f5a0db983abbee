"""Is a slot free? Collisions with other appointments, working hours and time off, answered for many slots at once.

Pure reads shared by the booking services and the conflict preview; a constant number of queries per call,
however many slots are asked about.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from apps.core import clock

from .models import BLOCKING_STATUSES, Appointment, TimeOff, Weekday, WorkingHours


def _local_iso(value: dt.datetime) -> str:
    return timezone.localtime(value, clock.clinic_tz()).isoformat()


@dataclass(frozen=True)
class Collision:
    """An existing appointment a proposed slot overlaps, and on which of therapist / room / patient."""

    appointment: Appointment
    collides_on: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.appointment.pk,
            "start": _local_iso(self.appointment.start),
            "end": _local_iso(self.appointment.end),
            "collides_on": list(self.collides_on),
        }

    def describe(self) -> str:
        local = timezone.localtime(self.appointment.start, clock.clinic_tz())
        end = timezone.localtime(self.appointment.end, clock.clinic_tz())
        whose = " and ".join(self.collides_on)
        return (
            f"The {whose} already has appointment #{self.appointment.pk} on "
            f"{local:%a %b} {local.day}, {local:%H:%M}–{end:%H:%M}."
        )


@dataclass
class Slot(clock.LocalSpan):
    start: dt.datetime
    end: dt.datetime
    collisions: list[Collision] = field(default_factory=list)
    unavailable: str = ""

    @property
    def is_free(self) -> bool:
        return not self.collisions and not self.unavailable

    def as_dict(self) -> dict:
        return {
            "start": _local_iso(self.start),
            "end": _local_iso(self.end),
            "date": self.local_start.date().isoformat(),
            "conflicts": [c.as_dict() for c in self.collisions],
            "unavailable": self.unavailable,
        }


def slots_check(
    *,
    therapist,
    patient_id: int | None,
    room_id: int | None,
    spans: list[tuple[dt.datetime, dt.datetime]],
    exclude_ids: frozenset[int] = frozenset(),
) -> list[Slot]:
    """Check each (start, end) span for collisions and for the therapist's availability. Three queries in all."""
    slots = [Slot(start=s, end=e) for s, e in spans]
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
        .order_by("start", "pk")
    )
    hours = list(WorkingHours.objects.filter(therapist=therapist))
    time_off = list(TimeOff.objects.filter(therapist=therapist, start__lt=high, end__gt=low))
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
                slot.collisions.append(Collision(appointment=other, collides_on=tuple(on)))
        slot.unavailable = _unavailability(name, slot, hours, time_off)
    return slots


def _unavailability(name: str, slot: Slot, hours: list[WorkingHours], time_off: list[TimeOff]) -> str:
    for off in time_off:
        if off.start < slot.end and off.end > slot.start:
            reason = f" ({off.reason})" if off.reason else ""
            return f"{name} has time off then{reason}."
    start, end = slot.local_start, slot.local_end
    weekday = start.weekday()
    blocks = [h for h in hours if h.weekday == weekday]
    if not blocks:
        return f"{name} does not work on {Weekday(weekday).label}s."
    if end.date() == start.date() and any(h.start_time <= start.time() and end.time() <= h.end_time for h in blocks):
        return ""
    spans = ", ".join(f"{h.start_time:%H:%M}–{h.end_time:%H:%M}" for h in sorted(blocks, key=lambda h: h.start_time))
    return f"{start:%H:%M}–{end:%H:%M} is outside {name}'s working hours on {Weekday(weekday).label}s ({spans})."
