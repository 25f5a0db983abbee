"""Patient pages: the program catalogue, my enrollments and places in line, seat offers."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import ClinicSettings
from apps.core import clock
from apps.core.errors import ApplicationError
from apps.core.views import call_with_messages
from apps.patients.portal import portal_patient

from . import selectors, services
from .forms import SlotRequestForm
from .models import LIVE_STATUSES, Enrollment, SlotOffer, SlotRequest
from .tokens import offer_token_read

ENROLLMENT_ACTIONS = {
    "withdraw": (services.enrollment_withdraw, "You have left {title}."),
    "accept": (services.enrollment_accept_offer, "Your seat in {title} is confirmed."),
    "decline": (services.enrollment_decline_offer, "You declined the seat in {title}; it goes to the next person."),
}


def _own_enrollment(request, pk) -> Enrollment:
    patient = portal_patient(request, "programs.enroll_self")
    return get_object_or_404(Enrollment.objects.select_related("program", "patient"), pk=pk, patient=patient)


@login_required
def program_list(request):
    patient = portal_patient(request, "programs.enroll_self")
    enrollments = list(selectors.patient_enrollments(patient=patient))
    live_program_ids = {e.program_id for e in enrollments if e.status in LIVE_STATUSES}
    catalogue = [p for p in selectors.programs_visible_to(user=request.user) if p.pk not in live_program_ids]
    context = {
        "patient": patient,
        "live": [e for e in enrollments if e.status in LIVE_STATUSES],
        "past": [e for e in enrollments if e.status not in LIVE_STATUSES],
        "catalogue": catalogue,
    }
    return render(request, "programs/portal/list.html", context)


@login_required
def program_detail(request, pk):
    patient = portal_patient(request, "programs.enroll_self")
    program = get_object_or_404(selectors.programs_visible_to(user=request.user), pk=pk)
    enrollment = next(
        (e for e in selectors.patient_enrollments(patient=patient).filter(program=program) if e.is_live), None
    )
    context = {
        "program": program,
        "enrollment": enrollment,
        "meetings": selectors.program_meetings(program=program),
    }
    return render(request, "programs/portal/detail.html", context)


@login_required
@require_POST
def program_enroll(request, pk):
    patient = portal_patient(request, "programs.enroll_self")
    program = get_object_or_404(selectors.programs_visible_to(user=request.user), pk=pk)
    try:
        enrollment = services.program_enroll(actor=request.user, program=program, patient=patient)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if enrollment.status == "enrolled":
            messages.success(request, f"You are enrolled in {program.title}.")
        else:
            messages.success(request, f"You are on the waitlist for {program.title}. We will write when a seat frees.")
    return redirect("portal:programs:detail", pk=program.pk)


@login_required
@require_POST
def enrollment_action(request, pk, action):
    if action not in ENROLLMENT_ACTIONS:
        raise Http404
    enrollment = _own_enrollment(request, pk)
    service, done = ENROLLMENT_ACTIONS[action]
    call_with_messages(
        request,
        lambda: service(actor=request.user, enrollment=enrollment),
        done.format(title=enrollment.program.title),
    )
    return redirect("portal:programs:detail", pk=enrollment.program_id)


@login_required
@require_http_methods(["GET", "POST"])
def offer_link(request, token):
    """The target of the emailed accept/decline links, for seat and slot offers alike. Answering takes a button
    press (a POST), so mail scanners that open links cannot answer for the patient."""
    hold = dt.timedelta(hours=ClinicSettings.load().seat_offer_hold_hours)
    link = offer_token_read(token, max_age_seconds=int(hold.total_seconds()) + 3600)
    if link is None:
        return render(request, "programs/portal/offer_invalid.html", status=404)
    if link.kind == "slot":
        return _slot_offer_link(request, link)
    enrollment = _own_enrollment(request, link.object_id)
    if request.method == "POST":
        service, done = ENROLLMENT_ACTIONS[link.action]
        call_with_messages(
            request,
            lambda: service(actor=request.user, enrollment=enrollment, offer_number=link.offer_number),
            done.format(title=enrollment.program.title),
        )
        return redirect("portal:programs:detail", pk=enrollment.program_id)
    is_current = (
        enrollment.status == "offered"
        and enrollment.offer_count == link.offer_number
        and clock.now() < enrollment.offer_expires_at
    )
    context = {"enrollment": enrollment, "action": link.action, "is_current": is_current}
    return render(request, "programs/portal/offer.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Waiting for a weekly slot with a therapist

SLOT_OFFER_ACTIONS = {
    "accept": (services.slot_offer_accept, "Your weekly time is booked."),
    "decline": (services.slot_offer_decline, "You declined that time; you keep your place for others."),
}


def _own_slot_offer(request, pk) -> SlotOffer:
    patient = portal_patient(request, "programs.enroll_self")
    return get_object_or_404(SlotOffer.objects.select_related("slot", "request"), pk=pk, request__patient=patient)


@login_required
@require_http_methods(["GET", "POST"])
def slot_requests(request):
    patient = portal_patient(request, "programs.enroll_self")
    form = SlotRequestForm(request.POST or None, initial={"therapist": patient.primary_therapist})
    if request.method == "POST" and form.is_valid():
        try:
            services.slot_request_create(actor=request.user, patient=patient, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "You are on the waitlist for a weekly time. We will write when one opens.")
            return redirect("portal:programs:slot_requests")
    context = {"requests": selectors.patient_slot_requests(patient=patient), "form": form}
    return render(request, "programs/portal/slot_requests.html", context)


@login_required
@require_POST
def slot_request_cancel(request, pk):
    patient = portal_patient(request, "programs.enroll_self")
    slot_request = get_object_or_404(SlotRequest, pk=pk, patient=patient)
    call_with_messages(
        request,
        lambda: services.slot_request_cancel(actor=request.user, request=slot_request),
        "You are no longer waiting for that weekly time.",
    )
    return redirect("portal:programs:slot_requests")


@login_required
@require_POST
def slot_offer_action(request, pk, action):
    if action not in SLOT_OFFER_ACTIONS:
        raise Http404
    offer = _own_slot_offer(request, pk)
    _answer_slot_offer(request, offer, action)
    return redirect("portal:programs:slot_requests")


def _answer_slot_offer(request, offer: SlotOffer, action: str) -> None:
    service, done = SLOT_OFFER_ACTIONS[action]
    call_with_messages(request, lambda: service(actor=request.user, offer=offer), done)


def _slot_offer_link(request, link):
    offer = _own_slot_offer(request, link.object_id)
    if request.method == "POST":
        _answer_slot_offer(request, offer, link.action)
        return redirect("portal:programs:slot_requests")
    is_current = offer.status == "outstanding" and clock.now() < offer.expires_at
    context = {"offer": offer, "action": link.action, "is_current": is_current}
    return render(request, "programs/portal/slot_offer.html", context)
