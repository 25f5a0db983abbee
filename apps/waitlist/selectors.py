"""Reads for the individual-slot waitlist, scoped to what the user may see and shaped once here."""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Prefetch, QuerySet
from django.utils import timezone

from apps.accounts.roles import Role
from apps.core import clock
from apps.core.errors import Conflict
from apps.core.request_memo import memo_read
from apps.core.time_zones import patient_when_text, zone_or_none, zone_short_label, zone_time
from apps.core.when import clock_text
from apps.scheduling import extensions
from apps.scheduling.models import BLOCKING_STATUSES, Weekday

from .models import (
    LIVE_SLOT_REQUEST_STATUSES,
    FreedSlot,
    FreedSlotStatus,
    SlotOffer,
    SlotOfferStatus,
    SlotRequest,
    SlotRequestStatus,
)


def _with_outstanding_offer(qs: QuerySet[SlotRequest]) -> QuerySet[SlotRequest]:
    outstanding = SlotOffer.objects.filter(status=SlotOfferStatus.OUTSTANDING).select_related(
        "slot", "slot__therapist", "slot__room", "slot__location"
    )
    return qs.prefetch_related(Prefetch("offers", queryset=outstanding, to_attr="outstanding_offers"))


def patient_slot_requests(*, patient) -> QuerySet[SlotRequest]:
    qs = SlotRequest.objects.filter(patient=patient).select_related("therapist", "service_type")
    return _with_outstanding_offer(qs).order_by("-created_at")


def patient_slot_requests_live(*, patient) -> list[SlotRequest]:
    """The patient's requests still waiting or offered, with their outstanding offers, read once per request: the
    care ladder's next step, the programs card and the portal's open offers show the same rows. For pages."""
    return memo_read(
        f"waitlist.live_slot_requests:{patient.pk}",
        lambda: list(patient_slot_requests(patient=patient).filter(status__in=LIVE_SLOT_REQUEST_STATUSES)),
    )


def slot_requests_visible_to(*, user) -> QuerySet[SlotRequest]:
    """The front desk and admins see every request; a patient sees their own; others none. Oldest first."""
    qs = _with_outstanding_offer(SlotRequest.objects.select_related("patient", "therapist", "service_type"))
    if user.has_perm("waitlist.manage_slot_waitlist"):
        return qs.order_by("created_at", "pk")
    if user.is_authenticated and user.has_role(Role.PATIENT):
        return qs.filter(patient__user=user).order_by("created_at", "pk")
    return qs.none()


def slot_waitlist() -> dict:
    """The slot waitlist for staff: people waiting or holding an offer in arrival order, and open freed slots."""
    waiting = _with_outstanding_offer(
        SlotRequest.objects.filter(status__in=[SlotRequestStatus.WAITING, SlotRequestStatus.OFFERED])
        .select_related("patient", "therapist", "service_type")
        .order_by("created_at", "pk")
    )
    return {"requests": waiting, "open_slots": freed_slots_open().order_by("free_from")}


def freed_slots_open() -> QuerySet[FreedSlot]:
    """Freed weekly times nobody has taken and the clinic still offers, with what naming them reads."""
    return FreedSlot.objects.filter(status=FreedSlotStatus.OPEN).select_related("therapist", "room", "location")


def freed_slots_with_holders() -> QuerySet[FreedSlot]:
    """Every freed weekly time, soonest free first, with what naming it reads and the offer of it someone holds now
    (`outstanding_offers`: at most one), in a fixed number of queries however many there are."""
    holders = SlotOffer.objects.filter(status=SlotOfferStatus.OUTSTANDING).select_related("request__patient")
    return (
        FreedSlot.objects.select_related("therapist", "room", "location")
        .prefetch_related(Prefetch("offers", queryset=holders, to_attr="outstanding_offers"))
        .order_by("free_from", "pk")
    )


def freed_slot_offer_outstanding(*, slot: FreedSlot) -> SlotOffer | None:
    """The offer of the time someone holds now, if any (at most one: a database constraint)."""
    return (
        SlotOffer.objects.filter(slot=slot, status=SlotOfferStatus.OUTSTANDING)
        .select_related("request__patient")
        .first()
    )


def slot_waitlist_waiting() -> dict:
    """How many patients wait for a weekly time with no time offered to them yet, and since when the longest has
    waited (None when nobody waits). One aggregate query."""
    return SlotRequest.objects.filter(status=SlotRequestStatus.WAITING).aggregate(
        waiting=Count("pk"), since=Min("created_at")
    )


def office_change_refusal(*, location, closing: bool) -> str | None:
    """Why an office's zone cannot change, or (`closing`) it cannot close, while freed weekly times are kept there
    on the slot waitlist, offered or waiting to be: their local time would move under them, or taking one would
    book sessions at a closed office. A time taken is a booked series, which the office's own rules hold. None when
    there are none."""
    count = FreedSlot.objects.filter(location=location, status=FreedSlotStatus.OPEN).count()
    if not count:
        return None
    many = count != 1
    times = f"{count} freed weekly time{'s' if many else ''} at {location.name} {'are' if many else 'is'}"
    taken = f"once {'they are' if many else 'it is'} taken or withdrawn from the slot waitlist"
    if closing:
        return f"{times} on the slot waitlist, to be booked there; it can close {taken}."
    zone = zone_short_label(location.time_zone)
    return f"{times} on the slot waitlist, timed in {zone}; its zone can change {taken}."


def slot_offer_first_date(offer: SlotOffer) -> dt.date:
    """The slot's first date after the day the offer's answer is due: the date its message names is the one
    accepting books, whenever in the hold the patient answers."""
    slot = offer.slot
    due = timezone.localtime(offer.expires_at, clock.clinic_tz()).date()
    start = max(slot.free_from, due + dt.timedelta(days=1))
    return start + dt.timedelta(days=(slot.weekday - start.weekday()) % 7)


def slot_offer_first_start(offer: SlotOffer) -> dt.datetime:
    """The first session taking the offer books, on the clock of the slot's office (where taking it books, a video
    time too): the moment a weekly time is told from, so it is said on the clock it is kept on."""
    slot = offer.slot
    return clock.local_datetime(slot_offer_first_date(offer), slot.local_start_time, slot.location.zone)


def slot_weekly_time(slot: FreedSlot) -> str:
    """A freed weekly time as staff read it: "Mondays at 6:00 PM" on its office's clock, naming that clock in words
    when it is not the clinic's ("Fridays at 10:00 AM Los Angeles time"), as staff pages say a session's time."""
    zone = slot.location.zone
    named = f" {zone_time(zone)}" if zone.key != settings.TIME_ZONE else ""
    return f"{Weekday(slot.weekday).label}s at {clock_text(slot.local_start_time)}{named}"


def slot_place(slot: FreedSlot) -> str:
    """Where a freed weekly time is, as staff read it: its office, and its room or "video" ("Main office, Room 2";
    "West office, video")."""
    kind = "video" if slot.is_telehealth else (slot.room.name if slot.room_id else "no room yet")
    return f"{slot.location.name}, {kind}"


def slot_place_context(slot: FreedSlot) -> dict:
    """Where a freed weekly time is, as an offer's messages say it (as a booked session's do): video, or the office's
    name, the room and the office's address."""
    if slot.is_telehealth:
        return {"is_telehealth": True}
    return {
        "is_telehealth": False,
        "location_name": slot.location.name,
        "room_name": slot.room.name if slot.room_id else "",
        "location_address": ", ".join(slot.location.address_lines),
    }


def slot_place_said(place: dict, *, short: bool = False) -> str:
    """Where a freed weekly time is, as its patient reads it, from its `slot_place_context` (the words every offer
    message, portal page and the API use): "video session", or "Main office, Room 2, 12 Elm St, Springfield, MA
    01103"; `short`, for a text message, which must stay within its length, "video" or the office's name alone. ""
    for a notice queued before freed times kept their office."""
    if place.get("is_telehealth"):
        return "video" if short else "video session"
    name = place.get("location_name", "")
    if short or not name:
        return name
    return ", ".join(part for part in (name, place.get("room_name"), place.get("location_address")) if part)


def slot_patient_place(slot: FreedSlot) -> str:
    """Where a freed weekly time is, as a patient reads it on a portal page and in the API (`slot_place_said`)."""
    return slot_place_said(slot_place_context(slot))


def slot_offer_when(offer: SlotOffer, *, patient) -> str:
    """The weekly time an offer holds, as its patient reads it on every portal page: "Mondays at 10:00 AM New York
    time", and "(1:00 PM your time)" when they set a zone whose clock reads otherwise. The offer's messages say it
    from the same moment (`slot_offer_first_start`) with the messages' `session_when`."""
    start = slot_offer_first_start(offer)
    reader_zone = zone_or_none(patient.time_zone) if patient else None
    said = patient_when_text(start, zone=start.tzinfo, reader_zone=reader_zone, day_format="")
    return f"{Weekday(offer.slot.weekday).label}s at {said}"


def slot_offer_needs_front_desk(*, offer: SlotOffer) -> bool:
    """Whether only the front desk can book the offered time: the patient is new to its therapist at a reduced fee
    past the therapist's cap, which only staff may override. The portal then says to call rather than offer a
    button the booking would refuse; the check is the booking's own (asked with no override, it writes nothing)."""
    try:
        extensions.reduced_fee_cap_enforce(actor=None, therapist=offer.slot.therapist, patient=offer.request.patient)
    except Conflict:
        return True
    return False


# Read in the zone of the session's own location, an hour of summer time may move either clock: the held time is
# widened by two hours on each side, so a session that meets it in real time always meets it here. A session at an
# office in another zone than the held time's office is always a candidate.
_HELD_TIMES_MET = """
SELECT o.id, o.slot_id
  FROM programs_slotoffer o
  JOIN programs_slotrequest r ON r.id = o.request_id
  JOIN programs_freedslot s ON s.id = o.slot_id
  JOIN scheduling_location sl ON sl.id = s.location_id
 CROSS JOIN LATERAL (
       SELECT s.weekday * 1440 + EXTRACT(HOUR FROM s.local_start_time) * 60
              + EXTRACT(MINUTE FROM s.local_start_time) - 120 AS week_minute,
              s.duration_minutes + 240 AS minutes
 ) held
 WHERE o.status = 'outstanding' AND r.status = 'offered'
   AND EXISTS (
       SELECT 1
         FROM scheduling_appointment a
         JOIN scheduling_location al ON al.id = a.location_id
        CROSS JOIN LATERAL (
              SELECT (EXTRACT(ISODOW FROM a.start AT TIME ZONE al.time_zone) - 1) * 1440
                     + EXTRACT(HOUR FROM a.start AT TIME ZONE al.time_zone) * 60
                     + EXTRACT(MINUTE FROM a.start AT TIME ZONE al.time_zone) AS week_minute,
                     EXTRACT(EPOCH FROM a."end" - a.start) / 60 AS minutes
        ) session
        WHERE a.status = ANY(%(blocking)s)
          AND (a.therapist_id = s.therapist_id OR a.room_id = s.room_id)
          AND a.patient_id IS DISTINCT FROM r.patient_id
          AND a."end" > %(now)s
          AND (
              sl.time_zone <> al.time_zone
              -- the two spans meet on the week's circle of 10080 minutes
              OR MOD(MOD(held.week_minute - session.week_minute, 10080) + 10080, 10080) < session.minutes
              OR MOD(MOD(session.week_minute - held.week_minute, 10080) + 10080, 10080) < held.minutes
          )
   )
 ORDER BY o.id
"""


def held_times_maybe_taken(*, now: dt.datetime) -> list[tuple[int, int]]:
    """(offer id, slot id) of every outstanding slot offer that a session booked for someone else (the therapist's
    or the room's) might take: one at the held weekday and hour, from now on. One query, whatever the number of
    offers out; the sweep checks only these the exact way, by the series their taking would book."""
    with connection.cursor() as cursor:
        cursor.execute(_HELD_TIMES_MET, {"blocking": list(BLOCKING_STATUSES), "now": now})
        return [(offer_id, slot_id) for offer_id, slot_id in cursor.fetchall()]
