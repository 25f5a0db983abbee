"""Demo slot waitlist: three patients waiting for a weekly time (one with any therapist), a weekly series cancelled
before its first session so that its time is freed and held for the first in line, the portal patient, and a freed
time the clinic withdrew. Everything goes through the services a clinic's day does (booking, cancelling the series,
which frees its time, joining the list, withdrawing), so the offer, its deadline and its notice are the real ones.

Keyed on the waiting patients: run again, it changes nothing. Every session it books is at least a week ahead, so
the hour and day it runs at do not matter.
"""

import datetime as dt

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.patients.demo import PORTAL_PATIENT_EMAIL
from apps.patients.models import Patient
from apps.scheduling.models import Room, ServiceType, Weekday
from apps.scheduling.services import series_book, series_cancel_following

from .models import FreedSlot, SlotRequest
from .services import freed_slot_withdraw, slot_request_create

ANY = None
# In line in this order: (patient, therapist or ANY, weekdays, earliest and latest start). The portal patient asks
# for an afternoon later in the week with anyone, and is first for the time freed below; the second waits for that
# therapist on the same day, so a decline passes the time on to them; the third waits for mornings nothing frees.
WAITING = [
    (PORTAL_PATIENT_EMAIL, ANY, [Weekday.WEDNESDAY, Weekday.THURSDAY], dt.time(15, 0), dt.time(17, 0)),
    ("patient39@clinic.test", "sarah.chen@clinic.test", [Weekday.WEDNESDAY], dt.time(15, 30), dt.time(17, 30)),
    (
        "patient40@clinic.test",
        "david.okafor@clinic.test",
        [Weekday.MONDAY, Weekday.TUESDAY],
        dt.time(9, 0),
        dt.time(9, 30),
    ),
]
# Weekly series booked and then cancelled before their first session: (patient, therapist, weekday, start, room or
# None for video, why it was cancelled). The first one's time is offered down the list; the second suits nobody
# waiting and the clinic withdraws it.
CANCELLED = [
    (
        "patient38@clinic.test",
        "sarah.chen@clinic.test",
        Weekday.WEDNESDAY,
        dt.time(16, 0),
        "Birch",
        "Moving out of state",
    ),
    ("patient36@clinic.test", "tom.baker@clinic.test", Weekday.MONDAY, dt.time(16, 0), None, "Found a closer clinic"),
]
SESSION = "90834"


def _first(weekday: int) -> dt.date:
    """The first such weekday at least a week away: far enough that cancelling it is never late, at any hour."""
    today = clock.local_now().date()
    return today + dt.timedelta(days=7 + (weekday - today.weekday()) % 7)


def _cancelled_series_freed(spec, *, actor, session: ServiceType) -> FreedSlot:
    """Book the weekly series and cancel it from its first session: the series' end frees its time (the waitlist's
    reaction to the cancellation), held at once for the first matching person in line."""
    email, therapist, weekday, at, room, reason = spec
    booked = series_book(
        actor=actor,
        therapist=User.objects.get(email=therapist),
        patient=Patient.objects.get(email=email),
        service_type=session,
        first_date=_first(weekday),
        local_start_time=at,
        occurrence_count=12,
        room=Room.objects.get(name=room) if room else None,
        is_telehealth=room is None,
    )
    series_cancel_following(appointment=booked.booked[0], actor=actor, reason=reason)
    return FreedSlot.objects.get(series=booked.series)


def seed(out) -> None:
    waiting = [email for email, *_ in WAITING]
    if SlotRequest.objects.filter(patient__email__in=waiting).exists():
        return
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    session = ServiceType.objects.get(code=SESSION)
    for email, therapist, weekdays, earliest, latest in WAITING:
        patient = Patient.objects.select_related("user").get(email=email)
        slot_request_create(
            # The portal patient joined from the portal; the others by calling the front desk.
            actor=patient.user or front_desk,
            patient=patient,
            therapist=User.objects.get(email=therapist) if therapist else None,
            service_type=session,
            weekdays=weekdays,
            earliest_start=earliest,
            latest_start=latest,
        )
    offered, withdrawn = [_cancelled_series_freed(spec, actor=front_desk, session=session) for spec in CANCELLED]
    # The therapist keeps that hour for supervision now: the clinic stops offering it.
    freed_slot_withdraw(actor=front_desk, slot=withdrawn)
    holder = offered.offers.select_related("request__patient").first()
    out.write(
        f"Slot waitlist: {len(WAITING)} waiting; {offered.therapist.full_name}'s freed "
        f"{Weekday(offered.weekday).label} {offered.local_start_time:%H:%M} is offered to "
        f"{holder.request.patient.email if holder else 'nobody'}"
    )
