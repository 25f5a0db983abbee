"""Patient pages: the program catalogue, my enrollments and places in line, seat offers.

The weekly-slot waitlist's patient pages and the offer links' landing page are in apps.waitlist.portal_views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from apps.core.errors import ApplicationError
from apps.core.views import action_from_url, call_with_messages, refusal_status
from apps.patients.portal import portal_patient
from apps.waitlist.offers import offer_link_actor, offer_link_answered, offer_link_outdated

from . import member_meetings, selectors
from .models import LIVE_STATUSES, Enrollment, EnrollmentStatus, ProgramStage
from .services import formation, seats

ENROLLMENT_ACTIONS = {
    "withdraw": (seats.enrollment_withdraw, "You have left {title}."),
    "accept": (seats.enrollment_accept_offer, "Your seat in {title} is confirmed."),
    "decline": (seats.enrollment_decline_offer, "You declined the seat in {title}; it goes to the next person."),
}

# What cannot be undone, so the page asks first.
ASKS_FIRST = {"withdraw", "decline"}


def _own_enrollment(request, pk) -> Enrollment:
    patient = portal_patient(request, "programs.enroll_self")
    return get_object_or_404(Enrollment.objects.select_related("program", "patient"), pk=pk, patient=patient)


@login_required
@require_safe
def program_list(request):
    patient = portal_patient(request, "programs.enroll_self")
    enrollments = list(selectors.patient_enrollments(patient=patient))
    live_program_ids = {e.program_id for e in enrollments if e.status in LIVE_STATUSES}
    # Each with why the patient cannot join it now ("" when they can), as its page tells instead of a join button.
    catalogue = [
        (p, seats.join_refusal(p, by_staff=False))
        for p in selectors.with_first_meeting(selectors.programs_visible_to(user=request.user))
        if p.pk not in live_program_ids and p.stage != ProgramStage.NOT_LAUNCHED
    ]
    context = {
        "patient": patient,
        "live": [e for e in enrollments if e.status in LIVE_STATUSES],
        "past": [e for e in enrollments if e.status not in LIVE_STATUSES],
        "catalogue": catalogue,
    }
    return render(request, "programs/portal/list.html", context)


@login_required
@require_safe
def program_detail(request, pk):
    patient = portal_patient(request, "programs.enroll_self")
    return _detail_page(request, patient, pk)


# What each refused button of the program's page says it did not do, before the reason.
NOT_DONE = {
    "enroll": "You were not added.",
    "withdraw": "You have not left.",
    "accept": "The seat was not taken.",
    "decline": "The seat was not declined.",
}


def _detail_page(request, patient, pk, *, refused: str = "", exc: ApplicationError | None = None):
    """The program's page, or, after a refused press (`refused` names which, `exc` says why), the page again with
    the reason at its top, answering the refusal's status: 409 when the records changed meanwhile (already in the
    program, an offer already answered), 422 otherwise."""
    program = get_object_or_404(selectors.with_first_meeting(selectors.programs_visible_to(user=request.user)), pk=pk)
    enrollment = next(
        (e for e in selectors.patient_enrollments(patient=patient).filter(program=program) if e.is_live), None
    )
    taking_offer = _offer_open(enrollment)
    context = {
        "program": program,
        "patient": patient,  # the reader the meetings' times are told to
        "enrollment": enrollment,
        "meetings": selectors.program_meetings(program=program),
        "join_refusal": seats.join_refusal(program, by_staff=False),
        # Told before taking a seat: by enrolling, or by accepting one held for them.
        "clash": member_meetings.program_clash_warning(
            patient=patient, program=program, addressing_patient=True, taking_offer=taking_offer
        )
        if enrollment is None or taking_offer
        else None,
        "refused": f"{NOT_DONE[refused]} {exc.message}" if exc is not None else "",
    }
    status = refusal_status(exc) if exc is not None else 200
    return render(request, "programs/portal/detail.html", context, status=status)


def _offer_open(enrollment: Enrollment | None) -> bool:
    """Whether `enrollment` is a seat offer that can be accepted now (`seats.seat_offer_problem`)."""
    return (
        enrollment is not None
        and enrollment.status == EnrollmentStatus.OFFERED
        and not seats.seat_offer_problem(enrollment)
    )


@login_required
@require_POST
def program_enroll(request, pk):
    patient = portal_patient(request, "programs.enroll_self")
    program = get_object_or_404(selectors.programs_visible_to(user=request.user), pk=pk)
    try:
        enrollment = formation.program_join(actor=request.user, program=program, patient=patient)
    except ApplicationError as exc:
        return _detail_page(request, patient, program.pk, refused="enroll", exc=exc)
    if program.stage == ProgramStage.PROPOSED:
        messages.success(request, f"You are on the interest list for {program.title}. We will write either way.")
    elif enrollment.status == "enrolled":
        messages.success(request, f"You are enrolled in {program.title}.")
    else:
        messages.success(request, f"You are on the waitlist for {program.title}. We will write when a seat frees.")
    return redirect("portal:programs:detail", pk=program.pk)


@login_required
@require_POST
def enrollment_action(request, pk, action):
    service, success = action_from_url(ENROLLMENT_ACTIONS, action)
    enrollment = _own_enrollment(request, pk)
    if action in ASKS_FIRST and request.POST.get("confirmed") != "yes":
        # Leaving or declining gives up a place in line or a seat for good: the patient reads what follows and
        # confirms.
        return render(request, "programs/portal/leave_confirm.html", {"enrollment": enrollment, "action": action})
    try:
        service(actor=request.user, enrollment=enrollment)
    except ApplicationError as exc:
        return _detail_page(request, enrollment.patient, enrollment.program_id, refused=action, exc=exc)
    messages.success(request, success.format(title=enrollment.program.title))
    return redirect("portal:programs:detail", pk=enrollment.program_id)


def seat_offer_link(request, link):
    """A seat offer's emailed link (through the offer engine): the offer and the answer asked for, or the answer once
    the button is pressed."""
    if request.user.is_authenticated:
        enrollment = _own_enrollment(request, link.object_id)
    else:
        # A registrant's seat (no chart) is answered from the lectures' own link page.
        enrollment = get_object_or_404(
            Enrollment.objects.select_related("program", "patient__user"), pk=link.object_id, patient__isnull=False
        )
    if outdated := offer_link_outdated(request, link, enrollment.patient):
        return outdated
    if request.method == "POST":
        answer, success = ENROLLMENT_ACTIONS[link.action]
        actor = offer_link_actor(request, enrollment.patient)
        call_with_messages(
            request,
            lambda: answer(actor=actor, enrollment=enrollment, offer_number=link.offer_number),
            success.format(title=enrollment.program.title),
        )
        return offer_link_answered(request, reverse("portal:programs:detail", args=[enrollment.program_id]))
    problem = seats.seat_offer_problem(enrollment, offer_number=link.offer_number)
    clash = None
    if link.action == "accept" and not problem:
        clash = member_meetings.program_clash_warning(
            patient=enrollment.patient, program=enrollment.program, addressing_patient=True, taking_offer=True
        )
    context = {
        "enrollment": enrollment,
        "action": link.action,
        "is_current": not problem,
        "problem": problem,
        # Signed out, the link's holder is told only that there is a clash: which programs the patient is in stays
        # behind the sign-in.
        "clash": clash if request.user.is_authenticated else None,
        "clash_unnamed": bool(clash) and not request.user.is_authenticated,
    }
    return render(request, "programs/portal/offer.html", context)
