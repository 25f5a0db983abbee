"""Every write to the individual-slot waitlist: joining it, freed weekly times, and their offers.

A freed time is offered through the offer engine (`offers`), like a program seat: held for the first matching person
in line for the clinic's hold time, with signed accept/decline links; declined or unanswered, it passes on.

An outstanding offer's request is always in the offered state (a deferred trigger holds it at commit). Locks are
waited for slot first, then the offer, then the request. Stopping waiting is the one write that starts from the
request: it locks the request first, so an offer being made to it at that moment is committed and seen, and then
only tries the offer's slot, never waiting for an answer in flight (which waits for the request in turn).
"""

import datetime as dt
import functools

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.notifications.outbox import patient_notice_enqueue
from apps.patients.models import PatientStatus
from apps.patients.services import patient_in_care_hold
from apps.scheduling.models import Weekday
from apps.scheduling.reminders import reader_zone_context
from apps.scheduling.selectors import series_ended_since
from apps.scheduling.services import series_book, series_preview

from .models import (
    LIVE_SLOT_REQUEST_STATUSES,
    FreedSlot,
    FreedSlotStatus,
    SlotOffer,
    SlotOfferStatus,
    SlotRequest,
    SlotRequestStatus,
)
from .offers import offer_check_open, offer_hold, offer_notify
from .selectors import held_times_maybe_taken, slot_offer_first_date, slot_offer_first_start, slot_place_context

SLOT = "slot"  # the offer kind, named in signed links


def _slot_context(offer: SlotOffer) -> dict:
    slot = offer.slot
    first = slot_offer_first_date(offer)
    # The weekly time is told from its first session, on the clock of the office it is kept on. (Notices queued
    # before carry a bare `start_time` instead, which their templates still read.)
    first_start = slot_offer_first_start(offer)
    return {
        "therapist_name": slot.therapist.full_name,
        "weekday": Weekday(slot.weekday).label,
        "first_start": first_start.isoformat(),
        "time_zone": first_start.tzinfo.key,
        **reader_zone_context(offer.request.patient),
        "first_date": first.isoformat(),
        "first_date_label": f"{first:%A, %B} {first.day}",
        **slot_place_context(slot),
        "deadline": offer.expires_at.isoformat(),
        "requests_url": absolute_url(reverse("portal:programs:slot_requests")),
    }


def _held_series(offer: SlotOffer) -> dict:
    """The weekly series taking the offer books: the slot's time and place (its office, the one the offer names) from
    the date the offer names, for the session its patient waits for."""
    slot, request = offer.slot, offer.request
    return {
        "therapist": slot.therapist,
        "patient": request.patient,
        "service_type": request.service_type,
        "first_date": slot_offer_first_date(offer),
        "local_start_time": slot.local_start_time,
        "location": slot.location,
        "room": slot.room,
        "is_telehealth": slot.is_telehealth,
    }


def _time_taken(offer: SlotOffer) -> bool:
    """Whether someone else's session (another patient's, or a group's) now holds the therapist or the room at the
    offered time on a date its series would take, so that taking the offer could not book it. A refusal for another
    reason is not this: taking the offer says what it is."""
    try:
        plan = series_preview(**_held_series(offer))
    except ApplicationError:
        return False
    holder = offer.request.patient_id
    return any(c.appointment.patient_id != holder for slot in plan.slots for c in slot.collisions)


def _waiting_for(*, slot, weekday, start, duration, therapist):
    """The waiting requests of patients in care that a weekly time suits: on one of their days, starting within
    their times, long enough for their session, with the therapist they asked for or anyone. A patient who was
    offered this time once (on any of their requests: one for its therapist and one for anyone) is not offered it
    again. Given a slot and its values, or references to the slot of an enclosing query."""
    offered_before = SlotOffer.objects.filter(slot=slot, request__patient=OuterRef("patient"))
    return (
        SlotRequest.objects.filter(
            status=SlotRequestStatus.WAITING,
            patient__status=PatientStatus.ACTIVE,
            weekdays__contains=[weekday],
            earliest_start__lte=start,
            latest_start__gte=start,
            service_type__duration_minutes__lte=duration,
        )
        .filter(Q(therapist=therapist) | Q(therapist__isnull=True))
        .exclude(Exists(offered_before))
    )


def _matching_requests(slot: FreedSlot):
    """The waiting requests the slot suits, first in line first; never the patient whose series freed it."""
    matching = _waiting_for(
        slot=slot,
        weekday=slot.weekday,
        start=slot.local_start_time,
        duration=slot.duration_minutes,
        therapist=slot.therapist,
    )
    if slot.series_id is not None:
        matching = matching.exclude(patient_id=slot.series.patient_id)
    return matching.order_by("created_at", "pk")


def _first_in_care(candidates) -> SlotRequest | None:
    """The first request whose patient is still in care, read under the lock a discharge takes: one discharged
    since the candidates were read (a discharge in flight is waited for) is passed over, as the query passes over
    those discharged before."""
    passed: list[int] = []
    while (request := candidates.exclude(pk__in=passed).select_related("patient").first()) is not None:
        if patient_in_care_hold(request.patient_id):
            return request
        passed.append(request.pk)
    return None


def _offer_slot(slot: FreedSlot) -> SlotOffer | None:
    """Hold the slot for the first matching person in line. The caller holds the slot's row lock.

    A request being offered another slot at this moment is locked by that transaction and skipped here. A time
    booked for someone else since it was freed is marked taken rather than offered: nobody could book it.
    """
    if slot.status != FreedSlotStatus.OPEN or slot.offers.filter(status=SlotOfferStatus.OUTSTANDING).exists():
        return None
    request = _first_in_care(_matching_requests(slot).select_for_update(skip_locked=True, of=("self",)))
    if request is None:
        return None
    offer = SlotOffer(slot=slot, request=request, expires_at=clock.now() + offer_hold())
    if _time_taken(offer):
        # Booked for someone else since it was freed (filled from the calendar): nobody can take it from the list.
        slot.status = FreedSlotStatus.TAKEN
        slot.save()
        return None
    offer.save()
    request.status = SlotRequestStatus.OFFERED
    request.save(update_fields=["status", "updated_at"])
    offer_notify(
        kind=SLOT,
        object_id=offer.pk,
        offer_number=1,
        patient=request.patient,
        subject=offer,
        template="slot_offer",
        key=f"slot_offer:{offer.pk}",
        context=_slot_context(offer),
        expires_at=offer.expires_at,
    )
    return offer


def _slot_locked(slot_id: int) -> FreedSlot:
    """The slot under its row lock, with what offering it reads (its series, its office)."""
    return FreedSlot.objects.select_for_update(of=("self",)).select_related("series", "location").get(pk=slot_id)


def _unheld_open_slots():
    return FreedSlot.objects.filter(status=FreedSlotStatus.OPEN).exclude(offers__status=SlotOfferStatus.OUTSTANDING)


def _offer_open_slots(request: SlotRequest) -> None:
    """Offer the open times nobody holds down the line until `request` (new in line, or back in it) holds one: a
    time nobody matched when it was freed may suit it. A slot another transaction holds (being accepted or offered
    right now) is not waited for: that one may be waiting on this request's row, which the caller holds."""
    open_slots = (
        _unheld_open_slots().select_for_update(of=("self",), skip_locked=True).select_related("series", "location")
    )
    for slot in open_slots:
        if _offer_slot(slot) is not None:
            request.refresh_from_db(fields=["status"])
            if request.status == SlotRequestStatus.OFFERED:
                return


@transaction.atomic
def slot_freed(*, series, free_from: dt.date, actor=None) -> FreedSlot:
    """A weekly series ended or was cancelled: its time is free from `free_from`. Offer it to the first matching
    person on the slot waitlist, at the office the series was booked at. Calling again for the same series changes
    nothing."""
    slot, created = FreedSlot.objects.get_or_create(
        series=series,
        defaults={
            "therapist": series.therapist,
            "weekday": series.weekday,
            "local_start_time": series.local_start_time,
            "duration_minutes": series.service_type.duration_minutes,
            "location": series.location,
            "room": series.room,
            "is_telehealth": series.is_telehealth,
            "free_from": free_from,
        },
    )
    if created:
        # The hourly job frees slots with no actor; a cancelled series names who cancelled it.
        access_log_write(actor=actor, action="slot_freed", subject=slot, detail={"series": series.pk})
        _offer_slot(_slot_locked(slot.pk))
    return slot


# How far back the hourly job looks for series that ran out; a week covers any pause of the job.
ENDED_SERIES_LOOKBACK = dt.timedelta(days=7)


def ended_series_slots_free() -> int:
    """Offer the weekly time of every series that ran its course (its last session is over) down the slot waitlist.

    Run by beat. Each series is handled once: its FreedSlot row (one per series) records that its time was
    offered, and a series whose time was already offered (cancelled early) is skipped. Returns how many were freed.
    """
    now = clock.now()
    ended = series_ended_since(since=now - ENDED_SERIES_LOOKBACK, now=now).filter(freed_slot__isnull=True)
    freed = 0
    for series in ended:
        last_day = series.last_end.astimezone(clock.clinic_tz()).date()
        slot_freed(series=series, free_from=last_day + dt.timedelta(days=1))
        freed += 1
    return freed


@transaction.atomic
def slot_request_create(
    *, actor, patient, service_type, weekdays: list[int], earliest_start: dt.time, latest_start: dt.time, therapist=None
) -> SlotRequest:
    """Join the slot waitlist. A time that is already free and unclaimed is offered at once."""
    weekdays = sorted(set(weekdays))
    if not weekdays or any(d not in Weekday.values for d in weekdays):
        raise Unprocessable("Choose at least one weekday.", fields={"weekdays": ["Choose at least one day."]})
    if earliest_start > latest_start:
        raise Unprocessable("The earliest time is after the latest.", fields={"latest_start": ["Before earliest."]})
    if service_type.is_group or not service_type.is_active:
        raise Unprocessable("Choose an individual session type.", fields={"service_type": ["Not individual."]})
    if not patient_in_care_hold(patient.pk):  # read under a lock a discharge in flight is waited for
        raise Unprocessable("Only active patients can wait for a slot.")
    live = SlotRequest.objects.select_for_update().filter(
        patient=patient, therapist=therapist, status__in=LIVE_SLOT_REQUEST_STATUSES
    )
    if live.exists():
        raise Conflict("This patient is already waiting for a slot with this therapist.")
    request = SlotRequest.objects.create(
        patient=patient,
        therapist=therapist,
        service_type=service_type,
        weekdays=weekdays,
        earliest_start=earliest_start,
        latest_start=latest_start,
        created_by=actor,
    )
    _offer_open_slots(request)
    return request


def open_slots_offer() -> int:
    """Offer every open time nobody holds that suits someone waiting, each in a transaction of its own: the sweep
    behind the offers made as requests join or come back into line, for a time that was locked elsewhere at that
    moment, or a patient back in care. Run by beat with the offers' expiry. Returns how many were offered."""
    suited = _waiting_for(
        slot=OuterRef(OuterRef("pk")),
        weekday=OuterRef("weekday"),
        start=OuterRef("local_start_time"),
        duration=OuterRef("duration_minutes"),
        therapist=OuterRef("therapist"),
    )
    unheld = _unheld_open_slots().filter(Exists(suited)).order_by("free_from", "pk")
    return sum(_slot_pass_on(slot_id) is not None for slot_id in list(unheld.values_list("pk", flat=True)))


def _lock_slot_offer(offer_id: int) -> SlotOffer:
    slot_id = SlotOffer.objects.values_list("slot_id", flat=True).get(pk=offer_id)
    FreedSlot.objects.select_for_update().get(pk=slot_id)
    return (
        SlotOffer.objects.select_for_update(of=("self",))
        .select_related(
            "slot", "slot__series", "slot__therapist", "slot__location", "slot__room", "request", "request__patient"
        )
        .get(pk=offer_id)
    )


def slot_offer_open_check(offer: SlotOffer) -> dict:
    """The offer as the engine checks it: closed unless outstanding on a request still offered it, and held until
    its deadline."""
    if offer.status == SlotOfferStatus.WITHDRAWN:
        closed = (
            "This time was booked for another session before you answered, so it is no longer available. "
            "You keep your place on the waitlist."
        )
    elif offer.status != SlotOfferStatus.OUTSTANDING:
        closed = f"This slot offer is {offer.get_status_display().lower()}."
    elif offer.request.status != SlotRequestStatus.OFFERED:
        closed = "This time is no longer held: the waitlist request it was offered on has ended."
    else:
        closed = ""
    return {"noun": "slot", "closed": closed, "expires_at": offer.expires_at}


@transaction.atomic
def slot_offer_accept(*, actor, offer: SlotOffer, cap_override_reason: str = "") -> SlotOffer:
    """Take the slot: a weekly series is booked from the first free date, conflict-checked like any booking and
    held to the therapist's reduced-fee cap (only staff may override it, with a reason)."""
    offer = _lock_slot_offer(offer.pk)
    offer_check_open(**slot_offer_open_check(offer))
    slot, request = offer.slot, offer.request
    booked = series_book(actor=actor, **_held_series(offer), cap_override_reason=cap_override_reason)
    now = clock.now()
    offer.status, offer.answered_at, offer.series = SlotOfferStatus.ACCEPTED, now, booked.series
    offer.save()
    request.status, request.ended_at = SlotRequestStatus.BOOKED, now
    request.save()
    slot.status = FreedSlotStatus.TAKEN
    slot.save()
    return offer


@transaction.atomic
def slot_offer_decline(*, actor, offer: SlotOffer) -> SlotOffer:
    """Turn this time down and keep waiting for another; the time goes to the next matching person."""
    offer = _lock_slot_offer(offer.pk)
    offer_check_open(**slot_offer_open_check(offer))
    _decline(offer, actor=actor)
    return offer


def _decline(offer: SlotOffer, *, actor, pass_on: bool = True) -> None:
    """The patient keeps waiting (the request is back in line) and the time goes to the next matching person; back
    in line, they are offered any other open time nobody holds. Both at once unless `pass_on` is False (the caller
    passes the time on itself, and the patient, discharged, is offered nothing)."""
    offer.status, offer.answered_at = SlotOfferStatus.DECLINED, clock.now()
    offer.save()
    offer.request.status = SlotRequestStatus.WAITING
    offer.request.save()
    access_log_write(actor=actor, action="slot_offer_decline", subject=offer, patient_id=offer.request.patient_id)
    if pass_on:
        _offer_slot(offer.slot)
        _offer_open_slots(offer.request)


def _slot_pass_on(slot_id: int) -> SlotOffer | None:
    """Offer a freed time to the next in line, in a transaction of its own."""
    with transaction.atomic():
        return _offer_slot(_slot_locked(slot_id))


def _withdraw(offer: SlotOffer, *, actor, slot_withdrawn: bool = False) -> None:
    """The held time was booked for someone else (or, `slot_withdrawn`, the clinic no longer offers it): the offer
    closes as no longer available, the time is taken (or withdrawn), and its holder, through no doing of theirs,
    goes back in line in the place they had (the request keeps its date) and is told why. Once this commits they are
    offered any other open time that suits them, in a transaction of its own: offering reads other people's rows
    under a lock, not to be waited for while a booking's are held."""
    offer.status = SlotOfferStatus.WITHDRAWN
    offer.save()
    request = offer.request
    request.status = SlotRequestStatus.WAITING
    request.save()
    if not slot_withdrawn:
        offer.slot.status = FreedSlotStatus.TAKEN
        offer.slot.save()
    access_log_write(actor=actor, action="slot_offer_withdraw", subject=offer, patient_id=request.patient_id)
    patient_notice_enqueue(
        patient=request.patient,
        subject=offer,
        template="slot_offer_withdrawn",
        key=f"slot_offer:{offer.pk}:withdrawn",
        context={**_slot_context(offer), "withdrawn_by_clinic": slot_withdrawn},
        sms=False,
    )
    transaction.on_commit(functools.partial(_request_back_in_line, request.pk), robust=True)


def _request_back_in_line(request_id: int) -> None:
    """Offer a request back in line the open times nobody holds, in a transaction of its own."""
    with transaction.atomic():
        request = SlotRequest.objects.select_for_update().get(pk=request_id)
        if request.status == SlotRequestStatus.WAITING:
            _offer_open_slots(request)


@transaction.atomic
def freed_slot_withdraw(*, actor, slot: FreedSlot) -> FreedSlot:
    """The clinic stops offering a freed weekly time (the therapist keeps the hour for something else, the office
    closes). An offer out on it is withdrawn: its holder goes back in line in their place and is told the clinic no
    longer offers the time (`_withdraw`). Only an open time can be withdrawn; who did it and when stay with it."""
    if not actor.has_perm("waitlist.manage_slot_waitlist"):
        raise PermissionDenied("Only the front desk or an administrator withdraws a freed time.")
    slot = _slot_locked(slot.pk)
    if slot.status != FreedSlotStatus.OPEN:
        raise Conflict(f"This time is already {slot.get_status_display().lower()}: nothing to withdraw.")
    offer = (
        SlotOffer.objects.select_for_update(of=("self",))
        .select_related(
            "slot", "slot__series", "slot__therapist", "slot__location", "slot__room", "request", "request__patient"
        )
        .filter(slot=slot, status=SlotOfferStatus.OUTSTANDING)
        .first()
    )
    slot.status = FreedSlotStatus.WITHDRAWN
    slot.withdrawn_at = clock.now()
    slot.withdrawn_by = actor
    slot.save()
    if offer is not None:
        _withdraw(offer, actor=actor, slot_withdrawn=True)
    return slot


def held_times_taken_withdraw() -> int:
    """A time held for someone on the slot waitlist that a session booked since has taken (its therapist or room,
    for someone else) is withdrawn from its holder (`_withdraw`), each in a transaction of its own. Run by beat
    every minute with the offers' expiry, rather than by every booking: booking a session reads nothing of the
    waitlist, the holder hears within a minute, and an answer in that minute meets the booking as a conflict. A slot
    another transaction holds (its offer being answered or expired at this moment) is left to the next run. Only the
    offers a session may have met (`held_times_maybe_taken`, one query for them all) are checked by the series their
    taking would book, so a minute with nothing booked over a held time costs the same however many are out. Returns
    how many were withdrawn."""
    withdrawn = 0
    for offer_id, slot_id in held_times_maybe_taken(now=clock.now()):
        with transaction.atomic():
            if not FreedSlot.objects.select_for_update(skip_locked=True).filter(pk=slot_id).exists():
                continue
            offer = _lock_slot_offer(offer_id)
            still_held = (
                offer.status == SlotOfferStatus.OUTSTANDING and offer.request.status == SlotRequestStatus.OFFERED
            )
            if still_held and _time_taken(offer):
                _withdraw(offer, actor=None)
                withdrawn += 1
    return withdrawn


@transaction.atomic
def slot_request_cancel(*, actor, request: SlotRequest) -> SlotRequest:
    """Stop waiting. An outstanding offer, also one being made at this moment, is given back and passes on.

    The request is locked before its offers are read: a time being offered to it holds its row until that offer
    commits, so it is waited for and seen here, never left held for someone who has left the list."""
    request = SlotRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in LIVE_SLOT_REQUEST_STATUSES:
        raise InvalidTransition(f"This request is already {request.get_status_display().lower()}.")
    outstanding = request.offers.filter(status=SlotOfferStatus.OUTSTANDING).first()
    if outstanding is not None:
        # An answer to this offer holds its slot and then waits for this request's row: waiting for the slot here
        # would deadlock, so a slot held elsewhere is a refusal to try again.
        if not FreedSlot.objects.select_for_update(skip_locked=True).filter(pk=outstanding.slot_id).exists():
            raise Conflict("The offer on this request is being answered right now. Try again in a moment.")
        offer = _lock_slot_offer(outstanding.pk)
        offer.status, offer.answered_at = SlotOfferStatus.DECLINED, clock.now()
        offer.save()
    request.status, request.ended_at = SlotRequestStatus.CANCELLED, clock.now()
    request.save()
    access_log_write(
        actor=actor,
        action="slot_request_cancel",
        subject=request,
        patient_id=request.patient_id,
        detail={"offer_given_back": outstanding.pk if outstanding is not None else None},
    )
    if outstanding is not None:
        _offer_slot(offer.slot)
    return request


def slot_offers_decline_on_discharge(*, actor, patient) -> None:
    """A discharged patient's open weekly-time offers are declined and each time goes to the next in line; their
    requests wait on, passed over while they are discharged (a patients.extensions reaction, under the discharge's
    lock on the patient). A slot another transaction holds (an answer to this very offer in flight) is left alone
    rather than waited for, since that answer's booking waits on the discharge: it is then refused, and the offer
    expires in its time. The time is offered on once the discharge has committed, in a transaction of its own:
    offering it reads the next person's row under a lock, which must not be waited for while this patient's is
    held (their own discharge could be waiting on this one's)."""
    outstanding = SlotOffer.objects.filter(request__patient=patient, status=SlotOfferStatus.OUTSTANDING)
    for offer_id, slot_id in outstanding.order_by("pk").values_list("pk", "slot_id"):
        if not FreedSlot.objects.select_for_update(skip_locked=True).filter(pk=slot_id).exists():
            continue
        offer = _lock_slot_offer(offer_id)
        if offer.status == SlotOfferStatus.OUTSTANDING:
            _decline(offer, actor=actor, pass_on=False)
            transaction.on_commit(functools.partial(_slot_pass_on, slot_id), robust=True)


def slot_offers_due(now: dt.datetime) -> list[int]:
    """Unanswered slot offers past their deadline; each expires in its own transaction."""
    due = SlotOffer.objects.filter(status=SlotOfferStatus.OUTSTANDING, expires_at__lte=now).order_by("pk")
    return list(due.values_list("pk", flat=True))


@transaction.atomic
def slot_offer_expire(offer_id: int, *, now: dt.datetime) -> int:
    """Expire one offer if it is still unanswered past its deadline, tell the patient, and offer the slot on.
    Returns 1 when it expired. An offer whose request has ended is given back instead, and one whose time was
    booked for someone else meanwhile is withdrawn (its holder back in line): neither closes anyone's place."""
    offer = _lock_slot_offer(offer_id)
    if offer.status != SlotOfferStatus.OUTSTANDING or now < offer.expires_at:
        return 0
    request = offer.request
    if request.status != SlotRequestStatus.OFFERED:
        # Its request ended while the time was held (a row from before the two were kept in step): the time is
        # given back and passes on, the request keeps its own ending, and nobody is told an offer expired.
        offer.status, offer.answered_at = SlotOfferStatus.DECLINED, now
        offer.save()
        _offer_slot(offer.slot)
        return 0
    if _time_taken(offer):
        # Booked for someone else while it was held (the booking could not withdraw it then): not their doing.
        _withdraw(offer, actor=None)
        return 0
    offer.status = SlotOfferStatus.EXPIRED
    offer.save()
    request.status, request.ended_at = SlotRequestStatus.EXPIRED, now
    request.save()
    patient_notice_enqueue(
        patient=request.patient,
        subject=offer,
        template="slot_offer_expired",
        key=f"slot_offer:{offer.pk}:expired",
        context={"requests_url": absolute_url(reverse("portal:programs:slot_requests"))},
        sms=False,
    )
    _offer_slot(offer.slot)
    return 1
