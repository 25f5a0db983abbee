"""Patient pages for booking online, mounted under /portal/book/ (namespace portal:booking): choose a therapist,
a week of their free slots, then confirm with the fee and the Good Faith Estimate shown; the same week and
confirmation pages move one of the patient's own sessions."""

import contextlib
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from apps.core import clock
from apps.core.errors import ApplicationError
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.models import ClinicSettings
from apps.core.views import found_or_404, refusal_status
from apps.patients.portal import portal_patient
from apps.scheduling.selectors import active_therapist
from apps.scheduling.templatetags.scheduling_portal import session_when

from . import offers, rules, selectors, services


def _week(request) -> dt.date | None:
    """The Monday of the week asked for, or the booking window's nearest week when it is outside the window (one
    before now or past the horizon has nothing to offer); None (with a message) when the date given is not a date."""
    try:
        week = selectors.week_of(request.GET.get("week"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None
    return selectors.booking_window().week_nearest(week)


def _start(request) -> dt.datetime | None:
    """The time chosen; None when it is not an aware time or not in a week the booking window reaches, as no time
    shown can be."""
    value = request.POST.get("start") or request.GET.get("start") or ""
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(start) or selectors.booking_window().week_refusal(_week_for(start)):
        return None
    return start


def _offer_or_refusal(request, make):
    """The offer, or None after putting the refusal (not allowed, too close to move) on the page as a message."""
    try:
        return make()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None


@login_required
@require_safe
def therapist_list(request):
    patient = portal_patient(request, "selfbooking.use")
    clinic_on = ClinicSettings.load().self_booking_enabled
    booked = selectors.upcoming_first_session(patient=patient)
    # A patient whose intake is on record is told how to book their next sessions instead of offered another.
    had_intake = booked is None and selectors.intake_on_record(patient=patient)
    context = {
        "discharged": rules.DISCHARGED if not patient.is_in_care else "",
        "clinic_on": clinic_on,
        "therapists": list(selectors.therapists_taking_first_sessions()) if clinic_on and not had_intake else [],
        "booked": booked,
        "had_intake": had_intake,
    }
    return render(request, "selfbooking/therapists.html", context)


def _week_page(
    request, offer, *, title: str, week_url: str, confirm_url: str, back_url: str, refused: str = "", status=200
):
    """A week of free times to choose from; with `refused`, a choice just refused (what was not done and why) said at
    its top, answering `status`."""
    window = selectors.booking_window()
    week = offer.week
    previous_week, next_week = week - dt.timedelta(days=7), week + dt.timedelta(days=7)
    days = selectors.slots_by_day(offer.slots)
    context = {
        "title": title,
        "offer": offer,
        "days": days,
        "places_named": selectors.places_named(days, moving=offer.moving),
        "week_clock": selectors.week_clock(days),
        # The weeks are linked by the week page's own address: a refused choice shows this page at the confirmation's.
        "week_url": week_url,
        "confirm_url": confirm_url,
        "back_url": back_url,
        "week_end": week + dt.timedelta(days=6),
        "previous_week": previous_week if clock.local_datetime(week, dt.time(0)) > window.earliest else None,
        "next_week": next_week if clock.local_datetime(next_week, dt.time(0)) <= window.latest else None,
        "window": window,
        "refused": refused,
    }
    return render(request, "selfbooking/week.html", context, status=status)


def _bookable_therapist(therapist_id):
    return found_or_404(active_therapist(therapist_id=therapist_id), "No such therapist.")


def _first_session_week_page(request, therapist, offer, **refusal):
    return _week_page(
        request,
        offer,
        title=f"Book a first session with {therapist.full_name}",
        week_url=reverse("portal:booking:week", args=[therapist.pk]),
        confirm_url=reverse("portal:booking:confirm", args=[therapist.pk]),
        back_url=reverse("portal:booking:therapists"),
        **refusal,
    )


@login_required
@require_safe
def first_session_week(request, therapist_id):
    portal_patient(request, "selfbooking.use")
    therapist = _bookable_therapist(therapist_id)
    if "week" in request.GET:
        week = _week(request)
        offer = week and _offer_or_refusal(
            request, lambda: offers.first_session_offer(user=request.user, therapist=therapist, week=week)
        )
    else:
        offer = _offer_or_refusal(
            request, lambda: offers.first_session_offer_soonest(user=request.user, therapist=therapist)
        )
    if offer is None:
        return redirect("portal:booking:therapists")
    return _first_session_week_page(request, therapist, offer)


CHOOSE_A_FREE_TIME = "Choose one of the free times shown."


def _confirm_page(
    request, *, make_offer, refused_url: str, title: str, book, week_page, week_url: str, not_done: str, done: str
):
    """Confirm (GET shows the fee and estimate), then book (POST). A booking refused answers with the week of the
    time chosen, its free times to choose another, saying at its top `not_done` and why: 409 for a time taken
    meanwhile, 422 for no time or one that cannot be booked; nothing is booked. A GET with a time not free any more
    goes back to the week with the reason (nothing was sent to refuse); an offer refused outright (not allowed, too
    close to move), to `refused_url`."""
    start = _start(request)
    offer = _offer_or_refusal(request, lambda: make_offer(_week_for(start)))
    if offer is None:
        return redirect(refused_url)
    if request.method == "POST":
        if start is None:
            return week_page(offer, refused=f"{not_done} {CHOOSE_A_FREE_TIME}", status=FORM_REFUSED_STATUS)
        try:
            book(start)
        except ApplicationError as exc:
            # The week as it stands now, so that a time just taken is no longer among those offered; an offer refused
            # outright by now keeps the week read before, so that the page says one refusal, never a second flash.
            with contextlib.suppress(ApplicationError):
                offer = make_offer(_week_for(start))
            return week_page(offer, refused=f"{not_done} {_refusal_said(exc)}", status=refusal_status(exc))
        messages.success(request, done)
        return redirect("portal:sessions:list")
    if start is None:
        messages.error(request, CHOOSE_A_FREE_TIME)
        return redirect(week_url)
    slot = offer.slot_at(start)
    if slot is None:
        messages.error(request, "That time is no longer free, or cannot be booked online. Choose another.")
        return redirect(week_url)
    context = {"title": title, "offer": offer, "slot": slot, "quote": offer.quote(slot), "week_url": week_url}
    return render(request, "selfbooking/confirm.html", context)


def _refusal_said(exc: ApplicationError) -> str:
    """Why a booking was refused, in the patient's words: a time someone else's session took meanwhile is simply no
    longer free (the other session is not theirs to be told of); any other refusal says its own reason."""
    if "conflicts" in exc.extra:
        return f"That time is no longer free. {CHOOSE_A_FREE_TIME}"
    return exc.message


def _week_for(start: dt.datetime | None) -> dt.date:
    """The week a chosen time was listed in: the week page's link gives it on its office's clock, and each office's
    times are listed by its own dates (a late Sunday at an office behind the clinic is already Monday here)."""
    return selectors.monday_of(start.date() if start else clock.local_now().date())


@login_required
@require_http_methods(["GET", "POST"])
def first_session_confirm(request, therapist_id):
    portal_patient(request, "selfbooking.use")
    therapist = _bookable_therapist(therapist_id)
    return _confirm_page(
        request,
        make_offer=lambda week: offers.first_session_offer(user=request.user, therapist=therapist, week=week),
        refused_url=reverse("portal:booking:therapists"),
        title=f"Confirm your first session with {therapist.full_name}",
        book=lambda start: services.self_booking_book(actor=request.user, therapist=therapist, start=start),
        week_page=lambda offer, **refusal: _first_session_week_page(request, therapist, offer, **refusal),
        week_url=reverse("portal:booking:week", args=[therapist.pk]),
        not_done="Your first session was not booked.",
        done="Your first session is booked. A confirmation is on its way.",
    )


def _own_session(request, pk):
    patient = portal_patient(request, "selfbooking.use")
    return found_or_404(selectors.own_session(patient=patient, appointment_id=pk), "No such session.")


def _move_week_page(request, appointment, offer, **refusal):
    return _week_page(
        request,
        offer,
        # Its time as every portal page tells it: at its office's clock, and the patient's own if they set another.
        title=f"Move your session of {session_when(appointment)} with {appointment.therapist.full_name}",
        week_url=reverse("portal:booking:move", args=[appointment.pk]),
        confirm_url=reverse("portal:booking:move_confirm", args=[appointment.pk]),
        back_url=reverse("portal:sessions:list"),
        **refusal,
    )


@login_required
@require_safe
def move_week(request, pk):
    appointment = _own_session(request, pk)
    week = (_week(request) if "week" in request.GET else None) or selectors.monday_of(appointment.local_start.date())
    offer = _offer_or_refusal(request, lambda: offers.move_offer(user=request.user, appointment=appointment, week=week))
    if offer is None:
        return redirect("portal:sessions:list")
    return _move_week_page(request, appointment, offer)


@login_required
@require_http_methods(["GET", "POST"])
def move_confirm(request, pk):
    appointment = _own_session(request, pk)
    return _confirm_page(
        request,
        make_offer=lambda week: offers.move_offer(user=request.user, appointment=appointment, week=week),
        refused_url=reverse("portal:sessions:list"),
        title=f"Move your session with {appointment.therapist.full_name}",
        book=lambda start: services.self_booking_move(actor=request.user, appointment=appointment, start=start),
        week_page=lambda offer, **refusal: _move_week_page(request, appointment, offer, **refusal),
        week_url=reverse("portal:booking:move", args=[appointment.pk]),
        not_done="Your session was not moved.",
        done="Your session is moved. A confirmation is on its way.",
    )
