"""Staff page pieces: the sessions card on the chart page (what is coming up for this patient, and quick booking
links), a session's time in words, an instant of its day on its office's clock, time off in words, where a block of
working hours is kept, and the outcomes a session can have recorded now."""

import datetime as dt

from django import template
from django.conf import settings

from apps.core import clock
from apps.core.time_zones import when_text, zone_time
from apps.core.when import clock_text
from apps.scheduling import selectors, services

register = template.Library()


@register.inclusion_tag("scheduling/_patient_sessions_card.html", takes_context=True)
def patient_sessions_card(context, patient, offer_booking=True):
    """The patient's coming sessions; `offer_booking=False` where booking is not what the page is for (a discharge
    refused for them)."""
    user = context["request"].user
    if not user.has_perm("scheduling.view_calendar"):
        return {"show": False}
    return {
        "show": True,
        "patient": patient,
        "appointments": selectors.patient_upcoming_visible(user=user, patient=patient, limit=5),
        "can_book": offer_booking and patient.is_in_care and user.has_perm("scheduling.book_appointment"),
        "discharged": not patient.is_in_care,
    }


def _day(day: dt.date) -> str:
    return f"{day:%a, %b} {day.day}, {day.year}"


@register.filter
def time_off_when(time_off) -> str:
    """Time off in words: whole days as "Mon, Jun 1, 2026 – Wed, Jun 3, 2026", with times when it starts or ends
    within a day, on the clock they were typed on, named in words when it is not the clinic's ("from 1:00 PM Los
    Angeles time"). Whole days name no clock: they are the day wherever the therapist works."""
    start, end, last = time_off.local_start, time_off.local_end, time_off.last_day

    def at(moment: dt.datetime) -> str:
        return f"{clock_text(moment)} {zone_time(time_off.zone)}" if time_off.zone_differs else clock_text(moment)

    if time_off.is_whole_days:
        return _day(last) if start.date() == last else f"{_day(start.date())} – {_day(last)}"
    if start.date() == end.date():
        # The clock is named once, after the end, unless it changes between the two (the night clocks change).
        first = clock_text(start) if start.utcoffset() == end.utcoffset() else at(start)
        return f"{_day(start.date())}, {first}–{at(end)}"
    if start.date() == last:
        return f"{_day(last)}, from {at(start)}"
    until = f"the end of {_day(last)}" if end.time() == dt.time(0, 0) else f"{_day(end.date())} {at(end)}"
    return f"{_day(start.date())} {at(start)} – {until}"


@register.filter
def hours_place(block) -> str:
    """Where a block of weekly working hours is kept, said after its times when it is not the main office:
    " · West office, Los Angeles time". Hours are typed on their office's clock, so a list of every therapist's
    hours read on the clinic's would otherwise show another office's 9 to 5 as if it were the clinic's."""
    office = block.location
    if office.is_main:
        return ""
    clock_named = f", {zone_time(office.zone)}" if office.time_zone != settings.TIME_ZONE else ""
    return f" · {office.name}{clock_named}"


@register.filter
def at_session_zone(moment: dt.datetime, appointment) -> dt.datetime:
    """An instant of a session's day (its check-in, its cancellation) on the wall clock of the session's office."""
    return clock.in_zone(moment, appointment.zone)


@register.simple_tag
def staff_when(appointment, day_format: str = "l, F j, Y") -> str:
    """A session's time as staff read it where it is named alone (a confirmation): the words patients read
    (`when_text`: wall-clock time at its location, with its zone in words when it is not the clinic's, "… at
    10:00 AM Los Angeles time")."""
    return when_text(appointment.start, zone=appointment.zone, day_format=day_format)


@register.filter
def outcome_open(appointment, action: str) -> bool:
    """Whether `action` ("check-in", "undo-check-in", "complete", "no-show") can be recorded for the session now, by
    the checks its service makes: a day's list offers Check in (or its undoing) only where it would go through."""
    return action in services.outcomes_open(appointment)
