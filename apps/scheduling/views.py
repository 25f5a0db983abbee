"""Staff pages: the calendar and its events feed, booking forms, a session's page and a therapist's day."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST, require_safe

from apps.core import clock
from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError
from apps.core.htmx import render_page
from apps.core.links import next_or, next_path
from apps.core.models import ClinicSettings
from apps.core.money import money_text
from apps.core.permissions import permission_require
from apps.core.time_zones import zone_place
from apps.core.views import call_with_messages, form_refusal, form_status, posted, refusal_status
from apps.core.when import weekday_moment_text
from apps.notifications.labels import confirmation_words

from . import extensions, selectors, services
from .calendar_shading import calendar_shading, sessions_span
from .colors import therapist_color
from .forms import AppointmentForm, CancelForm, RescheduleForm, SeriesForm
from .models import TIME_OFF_REACH, AppointmentStatus, Room
from .series_advice import series_blocked_advice


def _appointment(request, pk):
    """A session for a staff page (patients have their own pages in the portal)."""
    permission_require(request.user, "scheduling.view_calendar")
    appointment = selectors.appointment_get(user=request.user, appointment_id=pk)
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def _date_param(value: str) -> dt.date | None:
    """A date from the query string, or None if missing, impossible (2026-02-30) or absurdly far away."""
    try:
        day = parse_date(value)
    except ValueError:
        return None
    if day is None or services.BOOKING_REACH.refusal(day):
        return None
    return day


def _datetime_param(value: str) -> dt.datetime | None:
    """A date and time from the query string, or None if missing, impossible (25:00) or absurdly far away: a year
    such as 0001 or 9999 would overflow when moved to another zone."""
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or services.BOOKING_REACH.refusal(moment.date()):
        return None
    return moment


def _ids(values: list[str]) -> list[int]:
    """Ids from repeated parameters or one comma-separated value (as FullCalendar sends arrays)."""
    ids = (id_or_none(v.strip()) for value in values for v in value.split(","))
    return [i for i in ids if i is not None]


# ?view= takes the page's own names, and the calendar widget's for the same views (static/js/scheduling-calendar.js
# maps one to the other; timeGridDay is its day grid), so a link typed with either opens the view it names.
CALENDAR_VIEWS = {
    "week": "week",
    "day": "day",
    "list": "list",
    "timeGridWeek": "week",
    "timeGridDay": "day",
    "listWeek": "list",
    "listDay": "list",
}


@login_required
@require_safe
def calendar(request):
    """Week, day or list view of every therapist and room (a therapist's own, for therapists), filterable.

    Without ?view= the browser picks: the week on a wide screen, the day's list on a phone.
    """
    permission_require(request.user, "scheduling.view_calendar")
    therapists = selectors.therapists_for_calendar(user=request.user)
    location = selectors.location_chosen(request.GET.get("location"))
    location_id = location.pk if location else None
    hours = selectors.calendar_working_hours(user=request.user, location_id=location_id)
    initial_date = _date_param(request.GET.get("date", "")) or clock.local_now().date()
    shading = calendar_shading(hours, zone=_zone(location), week_of=initial_date)
    rooms = Room.objects.filter(is_active=True).select_related("location")
    context = {
        "legend": [(t, therapist_color(t.pk)) for t in therapists],
        "therapists": therapists,
        "rooms": rooms.filter(location=location) if location else rooms,
        "locations": selectors.locations_active(),
        "location": location,
        "zone_place": zone_place(_zone(location)),
        "selected_therapists": _ids(request.GET.getlist("therapist")),
        "selected_rooms": _ids(request.GET.getlist("room")),
        "view": CALENDAR_VIEWS.get(request.GET.get("view", ""), ""),
        "initial_date": initial_date.isoformat(),
        "clinic_now": _wall_clock(clock.now(), _zone(location)),
        "can_book": request.user.has_perm("scheduling.book_appointment"),
        "can_edit_hours": request.user.has_perm("scheduling.add_availability"),
        "working_hours": shading.business_hours,
        "grid_from": shading.grid_from,
        "grid_to": shading.grid_to,
    }
    return render(request, "scheduling/calendar.html", context)


def _zone(location) -> ZoneInfo:
    """The zone the calendar shows: a chosen location's, else the clinic's."""
    return location.zone if location else clock.clinic_tz()


def _wall_clock(value: dt.datetime, zone: ZoneInfo) -> str:
    """Wall-clock time in `zone` without an offset: the calendar shows clinic (or the chosen location's) time
    whatever the browser's zone."""
    return timezone.localtime(value, zone).replace(tzinfo=None).isoformat()


_URL_MARK = 918273645


def _detail_url_maker():
    """A session's page address from its id, the URL reversed once: a busy week is hundreds of events, and
    reversing each one's address took longer than the rest of the event."""
    before, after = reverse("scheduling:appointment_detail", args=[_URL_MARK]).split(str(_URL_MARK))
    return lambda pk: f"{before}{pk}{after}"


def _range_param(request, name: str, zone: ZoneInfo) -> dt.datetime:
    """A range bound from the calendar, read as wall-clock time in `zone` (any offset it carries is ignored)."""
    raw = request.GET.get(name, "")
    value = _datetime_param(raw)
    if value is None:
        day = _date_param(raw[:10])
        if day is None:
            raise ValueError(name)
        value = dt.datetime.combine(day, dt.time(0, 0))
    return clock.local_datetime(value.date(), value.time(), zone)


@login_required
@require_safe
def calendar_events(request):
    """FullCalendar's JSON events source: sessions and time off in [start, end), a constant number of queries."""
    permission_require(request.user, "scheduling.view_calendar")
    location = selectors.location_chosen(request.GET.get("location"))
    zone = _zone(location)
    try:
        start, end = _range_param(request, "start", zone), _range_param(request, "end", zone)
    except ValueError as exc:
        return JsonResponse({"error": {"code": "invalid", "message": f"Give a valid {exc} date."}}, status=400)
    if end <= start or end - start > dt.timedelta(days=42):
        return JsonResponse({"error": {"code": "invalid", "message": "Ask for at most six weeks."}}, status=400)
    therapist_ids = _ids(request.GET.getlist("therapist"))
    appointments = selectors.calendar_appointments(
        user=request.user,
        start=start,
        end=end,
        therapist_ids=therapist_ids,
        room_ids=_ids(request.GET.getlist("room")),
        location_id=location.pk if location else None,
        zone=zone,
        # Cancelled sessions stay on the grid, labelled and faded, as in the other practice calendars: the desk
        # sees what happened to the slot, and that it is free again.
        include_cancelled=True,
    )
    detail_url = _detail_url_maker()
    fees = extensions.late_cancel_fees(user=request.user, start=start, end=end)
    with timezone.override(zone):  # what an event says of a time (when it was confirmed) is on the grid's clock
        events = [
            _event(a, detail_url, fee=fees.get(a["id"]) if a["status"] == AppointmentStatus.LATE_CANCELLED else None)
            for a in appointments
        ]
    for off in selectors.time_off_visible_to(user=request.user).filter(
        start__lt=end + TIME_OFF_REACH, end__gt=start - TIME_OFF_REACH
    ):
        off_start, off_end = off.span_in(zone)  # a whole day off is the grid's whole day
        if (not therapist_ids or off.therapist_id in therapist_ids) and off_start < end and off_end > start:
            events.append(
                {
                    "start": _wall_clock(off_start, zone),
                    "end": _wall_clock(off_end, zone),
                    "display": "background",
                    "title": f"{off.therapist.full_name} off",
                    "classNames": ["time-off"],
                }
            )
    response = JsonResponse(events, safe=False)
    span = sessions_span(appointments)
    if span is not None:
        # The grid's hours are set before its events arrive; it widens them to this span (scheduling-calendar.js).
        response["Calendar-Hours"] = "/".join(span)
    return response


STATUS_LABELS = dict(AppointmentStatus.choices)
# What an event says besides who and where: the patient confirmed, arrived or did not come. Booked is the rule and
# completed is plain from the clock, so neither is spelled out on every session.
STATES_SHOWN = {
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.LATE_CANCELLED,
    AppointmentStatus.CANCELLED,
}


def _event(row: dict, detail_url, *, fee=None) -> dict:
    """One calendar event from a selectors.calendar_appointments row. A booked session the patient confirmed (for
    its current start) says so; once under way, its status says more."""
    confirmed = row["status"] == AppointmentStatus.BOOKED and row["confirmed_at"] is not None
    if row["patient__legal_last_name"]:
        who = f"{row['patient__preferred_name'] or row['patient__legal_first_name']} {row['patient__legal_last_name']}"
    else:
        who = row["service_type__name"]
    where = "Video" if row["is_telehealth"] else (row["room__name"] or "No room")
    therapist = f"{row['therapist__first_name']} {row['therapist__last_name']}".strip()
    status = STATUS_LABELS[row["status"]]
    state = "Confirmed" if confirmed else (status if row["status"] in STATES_SHOWN else "")
    if fee is not None:
        state = f"{state} · {money_text(fee)} fee"
    return {
        "id": row["id"],
        "title": f"{who} · {therapist} · {where}",
        "start": row["start_wall"],
        "end": row["end_wall"],
        "url": detail_url(row["id"]),
        "color": therapist_color(row["therapist_id"]),
        "classNames": [f"status-{row['status']}"],
        "extendedProps": {
            "who": who,
            "therapist": therapist,
            "where": where,
            "location": row["location__name"],
            "status": status,
            "state": state,
            "confirmed": confirmation_words(row["confirmed_at"], row["confirmed_via"]) if confirmed else "",
        },
    }


def _book_initial(request) -> dict:
    """The booking form as a calendar click or drag leaves it: the time, the therapist, and the service that lasts
    as long as the span dragged over (when one does)."""
    initial = {}
    start = _datetime_param(request.GET.get("start", ""))
    if start is not None:
        local = timezone.localtime(start, clock.clinic_tz()) if timezone.is_aware(start) else start
        initial.update(date=local.date(), time=local.time().replace(second=0, microsecond=0))
        initial.update(first_date=local.date(), local_start_time=initial["time"])
    minutes = request.GET.get("minutes", "")
    if minutes.isascii() and minutes.isdigit() and len(minutes) <= 4:
        service_type = selectors.service_type_lasting(minutes=int(minutes))
        if service_type is not None:
            initial["service_type"] = service_type.pk
    if (patient := id_or_none(request.GET.get("patient"))) is not None:
        initial["patient"] = patient
    if (location := selectors.location_chosen(request.GET.get("location"))) is not None:
        initial["location"] = location.pk
    if (therapist := id_or_none(request.GET.get("therapist"))) is not None:
        initial["therapist"] = therapist
    elif request.user.has_perm("scheduling.book_for_therapist", request.user):
        initial["therapist"] = request.user.pk
    if "date" in initial and "location" not in initial and "therapist" in initial:
        _click_at_therapists_office(initial)
    return initial


def _click_at_therapists_office(initial: dict) -> None:
    """A click on the calendar across every location is at the clinic's time, while the form's date and time are
    the office's. When the therapist works that day at an office on another clock, the form opens there, at that
    office's time of the click (13:00 in New York is 10:00 at the West office)."""
    therapist = selectors.active_therapist(therapist_id=initial["therapist"])
    office = selectors.therapist_workday(therapist=therapist, day=initial["date"]).office if therapist else None
    if office is None or office.zone.key == clock.clinic_tz().key:
        return
    there = clock.local_datetime(initial["date"], initial["time"]).astimezone(office.zone)
    initial.update(date=there.date(), time=there.time(), first_date=there.date(), local_start_time=there.time())
    initial["location"] = office.pk


def _booking_refused(form, exc: ApplicationError) -> None:
    # An override reason is asked for by the message itself; its field stays free of a second copy.
    form_refusal(form, exc, not_on=("override_reason", "cap_override_reason"))
    if "allow_past" in exc.fields:
        # Refused for a time that has passed: offer the box that confirms it, everything typed kept around it.
        form.past_confirmation_ask()


@login_required
def appointment_new(request):
    """Book one session; clicking an empty calendar slot lands here with the time filled in."""
    permission_require(request.user, "scheduling.book_appointment")
    form = AppointmentForm(posted(request), user=request.user, initial=_book_initial(request))
    if request.method == "POST" and form.is_valid():
        args = form.booking_args()
        permission_require(request.user, "scheduling.book_for_therapist", args["therapist"])
        try:
            appointment = services.appointment_book(actor=request.user, **args)
        except ApplicationError as exc:
            _booking_refused(form, exc)
        else:
            messages.success(request, "Session booked.")
            _warn(request, _group_warning([appointment]))
            return redirect("scheduling:appointment_detail", pk=appointment.pk)
    context = {"form": form, "title": "Book a session"}
    return render(request, "scheduling/appointment_form.html", context, status=form_status(form))


@login_required
def series_new(request):
    """Book a weekly series; the preview below the form (htmx) shows which dates collide, before anything is saved."""
    permission_require(request.user, "scheduling.book_appointment")
    form = SeriesForm(posted(request), user=request.user, initial=_book_initial(request))
    if request.method == "POST" and form.is_valid():
        permission_require(request.user, "scheduling.book_for_therapist", form.cleaned_data["therapist"])
        try:
            result = services.series_book(
                actor=request.user,
                skip_conflicts=form.cleaned_data["skip_conflicts"],
                override_reason=form.cleaned_data["override_reason"],
                cap_override_reason=form.cleaned_data["cap_override_reason"],
                allow_past=form.cleaned_data["allow_past"],
                **form.plan_args(),
            )
        except ApplicationError as exc:
            _booking_refused(form, exc)
        else:
            # The desk tells the patient which weeks are not booked, so the skipped dates are named, not counted.
            skipped = ", ".join(weekday_moment_text(slot.local_start) for slot in result.skipped)
            booked = len(result.booked)
            messages.success(
                request,
                f"Series booked: {booked} session{pluralize(booked)}." + (f" Skipped: {skipped}." if skipped else ""),
            )
            _warn(request, _group_warning(result.booked))
            return redirect("scheduling:appointment_detail", pk=result.booked[0].pk)
    # A refused series comes back with its Dates panel showing the dates of what the form kept.
    preview = _series_dates(request, request.POST) if request.method == "POST" else {}
    return render(request, "scheduling/series_form.html", {"form": form, **preview}, status=form_status(form))


@login_required
@require_POST
def series_preview(request):
    """htmx partial: the proposed dates, each free or with what it collides with."""
    permission_require(request.user, "scheduling.book_appointment")
    return render(request, "scheduling/_series_preview.html", _series_dates(request, request.POST))


# What the series needs before it has dates; once they are typed, another field's error is what hides them.
SERIES_DATES_NEED = ("therapist", "patient", "first_date", "local_start_time")


def _series_dates(request, data) -> dict:
    """The Dates panel for the series typed (`data`), read afresh: the proposed dates, each free or with what it
    collides with; or why there are none."""
    form = SeriesForm(data, user=request.user)
    context = {"plan": None, "error": ""}
    if not form.is_valid():
        if not any(name in form.errors for name in SERIES_DATES_NEED):
            # The dates are typed; what keeps them from showing is said, as the live preview marks no field.
            name, [message, *_] = next(iter(form.errors.items()))
            label = form[name].label if name in form.fields else ""
            context["error"] = f"{label}: {message}" if label else message
        return context
    try:
        plan = services.series_preview(**form.plan_args())
    except ApplicationError as exc:
        context["error"] = exc.message
        return context
    context["plan"] = plan
    context["rows"] = _with_group_meetings(plan)
    context["advice"] = series_blocked_advice(plan.slots, skip_label=form.fields["skip_conflicts"].label)
    # Say now what booking would refuse (a missing medical clearance, say), before the user submits.
    context["refusal"] = extensions.booking_checks.refusal(
        patient=plan.booking.patient,
        therapist=plan.booking.therapist,
        service_type=plan.booking.service_type,
        starts=[s.start for s in plan.slots],
        series=True,
    )
    return context


def _with_group_meetings(plan) -> list[tuple]:
    """Each proposed date with the patient's own group meetings it overlaps (allowed, but worth seeing)."""
    meetings = extensions.group_meetings_during(
        patient=plan.booking.patient, ranges=[(s.start, s.end) for s in plan.slots]
    )
    return [
        (slot, [m for m in meetings if m.appointment.start < slot.end and m.appointment.end > slot.start])
        for slot in plan.slots
    ]


def _group_warning(appointments) -> str | None:
    patient = appointments[0].patient if appointments else None
    return extensions.group_meetings_warning(patient=patient, ranges=[(a.start, a.end) for a in appointments])


def _warn(request, *warnings) -> None:
    for warning in warnings:
        if warning:
            messages.warning(request, warning)


@login_required
@require_safe
def appointment_detail(request, pk):
    permission_require(request.user, "scheduling.view_calendar")
    appointment = selectors.appointment_open(user=request.user, appointment_id=pk)
    if appointment is None:
        raise Http404("No such appointment.")
    return _detail_page(request, appointment)


def _detail_page(request, appointment, *, cancel_form=None, reschedule_form=None, status: int = 200):
    """The session page; a refused cancel or move shows again with what was typed and why it was refused."""
    user = request.user
    local_start = appointment.local_start
    in_series = appointment.series_id is not None
    context = {
        "appointment": appointment,
        "note_link": extensions.note_links(user=user, appointments=[appointment]).get(appointment.pk),
        "charges": extensions.session_charges(user=user, appointment=appointment),
        # A clinician's "chart" is the clinical one; whoever may not read it gets the patient's details instead.
        "opens_clinical_chart": appointment.patient_id is not None
        and user.has_perm("notes.view_clinical_chart", appointment.patient),
        "can_change": user.has_perm("scheduling.change_appointment", appointment),
        "can_cancel": user.has_perm("scheduling.cancel_appointment", appointment),
        "outcomes": services.outcomes_open(appointment),
        "ended_unrecorded": appointment.status == AppointmentStatus.BOOKED and appointment.end <= clock.now(),
        "late": services.cancellation_is_late(appointment),
        "cancel_form": cancel_form
        or CancelForm(in_series=in_series, fee_to_waive=services.late_fee_to_waive(appointment, actor=user)),
        "reschedule_form": reschedule_form
        or RescheduleForm(
            in_series=in_series,
            user=user,
            has_patient=appointment.patient_id is not None,
            initial={
                "date": local_start.date(),
                "time": local_start.time(),
                "therapist": appointment.therapist_id,
                "room": appointment.room_id,
            },
        ),
    }
    return render(request, "scheduling/appointment_detail.html", context, status=status)


def _run(request, appointment, call, success: str):
    call_with_messages(request, call, success)
    return redirect(next_or(request, reverse("scheduling:appointment_detail", args=[appointment.pk])))


# The outcomes that post a charge ask first: what each would post, stated before it is recorded.
OUTCOME_PREVIEWS = {"complete": services.completion_preview, "no-show": services.no_show_preview}


@login_required
@require_POST
def appointment_action(request, pk, action):
    """Check in (or undo a check-in made in error), complete or mark a no-show from the session page, the arrivals
    or the therapist's day. Completing posts the session's fee and a no-show the policy fee, so their first post
    answers a confirmation stating it (a dialog through htmx, else a page); the confirmation posts again with
    confirmed=yes, and only that records it. Checking in and undoing it post nothing and take one click."""
    appointment = _appointment(request, pk)
    permission_require(request.user, "scheduling.change_appointment", appointment)
    if action in OUTCOME_PREVIEWS and request.POST.get("confirmed") != "yes":
        return _outcome_confirmation(request, appointment, action)
    service, success = {
        "check-in": (services.appointment_check_in, "Checked in."),
        "undo-check-in": (services.appointment_check_in_undo, "Check-in undone."),
        "complete": (services.appointment_complete, "Session completed."),
        "no-show": (services.appointment_no_show, "Marked as a no-show."),
    }[action]
    return _run(request, appointment, lambda: service(appointment=appointment, actor=request.user), success)


def _outcome_confirmation(request, appointment, action: str):
    """What completing the session or marking the no-show will post, to confirm; a session that cannot have that
    outcome yet says why instead."""
    context = {"appointment": appointment, "action": action, "fee": None, "error": "", "next": next_path(request)}
    try:
        context["fee"] = OUTCOME_PREVIEWS[action](appointment=appointment)
    except ApplicationError as exc:
        context["error"] = exc.message
    context["show_class"] = request.user.has_perm("billing.view_class", appointment.patient)
    return render_page(
        request, "scheduling/outcome_confirm.html", context, partial="scheduling/_outcome_confirm_dialog.html"
    )


@login_required
@require_POST
def appointment_cancel(request, pk):
    """Cancel after a confirmation that states what it will record and the late-cancel fee it will post. The first
    post answers the confirmation (a dialog through htmx, else a page); the confirmation posts again with
    confirmed=yes, and only that cancels."""
    appointment = _appointment(request, pk)
    permission_require(request.user, "scheduling.cancel_appointment", appointment)
    form = CancelForm(
        request.POST,
        in_series=appointment.series_id is not None,
        fee_to_waive=services.late_fee_to_waive(appointment, actor=request.user),
    )
    if form.is_valid() and form.scope == "following":
        permission_require(request.user, "scheduling.change_appointment", appointment)
    if request.POST.get("confirmed") != "yes" or not form.is_valid():
        return _cancel_confirmation(request, appointment, form)
    args = {"appointment": appointment, "actor": request.user, "reason": form.cleaned_data["reason"]}
    args["waive_late_fee"] = form.cleaned_data.get("waive_late_fee", False)
    if form.scope == "following":
        return _run(request, appointment, lambda: services.series_cancel_following(**args), "Series cancelled.")
    return _run(request, appointment, lambda: services.appointment_cancel(**args), "Session cancelled.")


def _cancel_confirmation(request, appointment, form):
    """What cancelling will do, to confirm; a form that cannot go through shows its errors instead."""
    context = {
        "appointment": appointment,
        "form": form,
        "preview": None,
        "error": "",
        "late": services.cancellation_is_late(appointment),
        "window_hours": ClinicSettings.load().cancellation_window_hours,
        "next": next_path(request),
    }
    status = 200
    if form.is_valid():
        try:
            context["preview"] = services.cancellation_preview(
                appointment=appointment,
                actor=request.user,
                scope=form.scope,
                waive_late_fee=form.cleaned_data.get("waive_late_fee", False),
            )
        except ApplicationError as exc:
            context["error"], status = exc.message, refusal_status(exc)
            # Cancelled (or otherwise recorded) by someone else since the page was loaded: the page behind the
            # dialog still says "Booked", so the dialog leads to the session as it now is instead of back to it.
            context["no_longer_booked"] = appointment.status != AppointmentStatus.BOOKED
        context["show_class"] = request.user.has_perm("billing.view_class", appointment.patient)
    elif not request.htmx:
        return _detail_page(request, appointment, cancel_form=form, status=form_status(form))
    response = render_page(
        request, "scheduling/cancel_confirm.html", context, partial="scheduling/_cancel_confirm_dialog.html"
    )
    # htmx swaps only successful answers, so the dialog comes with 200 even when it carries an error; the page
    # answers with the refusal's own status (409 for a session no longer booked), as the API does.
    if not request.htmx:
        response.status_code = status
    return response


@login_required
@require_POST
def appointment_reschedule(request, pk):
    """Move the session. A refusal (a clash, a missing override reason) shows the page again with what was typed
    and the reason, so nothing has to be typed twice."""
    appointment = _appointment(request, pk)
    permission_require(request.user, "scheduling.change_appointment", appointment)
    form = RescheduleForm(
        request.POST,
        in_series=appointment.series_id is not None,
        user=request.user,
        has_patient=appointment.patient_id is not None,
    )
    if not form.is_valid():
        return _detail_page(request, appointment, reschedule_form=form, status=form_status(form))
    data = form.cleaned_data
    if data["therapist"] is not None:
        permission_require(request.user, "scheduling.book_for_therapist", data["therapist"])
    try:
        services.appointment_reschedule(
            appointment=appointment,
            actor=request.user,
            start=form.start_at(appointment),
            room=services.KEEP if appointment.is_telehealth else data["room"],
            location=data["location"],
            scope=form.scope,
            override_reason=data["override_reason"],
            therapist=data["therapist"],
            cap_override_reason=data.get("cap_override_reason", ""),
            allow_past=data["allow_past"],
        )
    except ApplicationError as exc:
        _booking_refused(form, exc)
        return _detail_page(request, appointment, reschedule_form=form, status=form_status(form))
    messages.success(request, "Session moved.")
    return redirect(next_or(request, reverse("scheduling:appointment_detail", args=[appointment.pk])))


@login_required
@require_safe
def my_day(request):
    """A therapist's sessions today (or ?date=) with their check-in state and a link to each session's note."""
    permission_require(request.user, "scheduling.own_schedule")
    workday = selectors.therapist_workday(therapist=request.user, day=_date_param(request.GET.get("date", "")))
    day = workday.day
    context = {
        "day": day,
        "workday": workday,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "rows": selectors.therapist_day_rows(therapist=request.user, day=day),
    }
    return render(request, "scheduling/my_day.html", context)
