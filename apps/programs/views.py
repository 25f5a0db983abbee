"""Staff pages: programs, the roster, the waitlist and its order, outstanding offers, attendance sheets.

The weekly-slot waitlist's staff pages are in apps.waitlist.views, mounted in this namespace."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.errors import ApplicationError
from apps.core.permissions import permission_require
from apps.core.views import (
    action_from_url,
    form_call,
    form_refusal,
    form_refused_focus,
    form_status,
    posted,
    refusal_said,
    refusal_status,
)

from . import lecture_selectors, member_meetings, selectors
from .forms import (
    CapacityForm,
    EnrollPatientForm,
    LecturePaymentForm,
    MoveForm,
    ProgramChangeForm,
    ProgramForm,
    WithdrawForm,
    attendance_choices,
)
from .models import ProgramMeeting, ProgramStage, WaitlistMove
from .services import attendance, formation, lectures, seats, setup


def _program(request, pk):
    return get_object_or_404(selectors.programs_visible_to(user=request.user), pk=pk)


@login_required
@require_safe
def program_list(request):
    if not request.user.is_clinic_staff:
        raise PermissionDenied
    programs = selectors.with_roster_open(selectors.programs_visible_to(user=request.user), user=request.user)
    return render(request, "programs/list.html", {"programs": programs})


@login_required
def program_create(request):
    permission_require(request.user, "programs.add_program")
    form = ProgramForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        co_facilitators = data.pop("co_facilitators")
        override_reason = data.pop("override_reason")
        is_proposal = form.is_proposal
        try:
            if is_proposal:
                program = formation.program_propose(actor=request.user, co_facilitators=co_facilitators, **data)
            else:
                data.pop("minimum_to_launch")
                data.pop("decision_on")
                program = setup.program_create(
                    actor=request.user, co_facilitators=co_facilitators, override_reason=override_reason, **data
                )
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            if is_proposal:
                messages.success(request, f"{program.title} is proposed; its interest list is open.")
            else:
                messages.success(request, f"{program.title} is scheduled with {program.meeting_count} meetings.")
            return redirect("programs:detail", pk=program.pk)
    return render(request, "programs/form.html", {"form": form, "title": "New program"}, status=form_status(form))


@login_required
@require_safe
def program_detail(request, pk):
    program = _program(request, pk)
    permission_require(request.user, "programs.view_roster", program)
    return _detail_page(request, program)


# What each refused form of the program page says it did not do, before the reason.
NOT_DONE = {
    "capacity": "The capacity was not changed.",
    "enroll": "Nobody was enrolled.",
    "withdraw": "Nobody was withdrawn.",
    "accept": "The seat offer was not accepted.",
    "decline": "The seat offer was not declined.",
    "move": "Nobody was moved on the waitlist.",
}


def _detail_page(request, program, *, refused: str = "", form=None, enrollment=None):
    """The program page, or, when `form` came back refused (`refused` names which: a key of NOT_DONE), the page
    again with a summary at its top saying what was not done and why, the refused form keeping what was typed, and
    the refusal's status: 422 for what was typed, 409 for the records as they now stand (a full program, a seat
    taken meanwhile, someone already enrolled or moved). `enrollment` is the row a refused row action was for."""
    can_manage = request.user.has_perm("programs.change_program", program)
    join_refusal = seats.join_refusal(program, by_staff=True)
    capacity_form = form if refused == "capacity" else None
    if capacity_form is None and can_manage and not join_refusal:
        # Seats change while someone can still join (the service refuses it after).
        capacity_form = CapacityForm(initial={"capacity": program.capacity})
    enroll_form = form if refused == "enroll" else None
    if enroll_form is None and can_manage:
        enroll_form = EnrollPatientForm(program=program)
    if form is not None:
        form_refused_focus(form)
    context = {
        "program": program,
        "roster": selectors.program_roster(program=program),
        # Each meeting with why attendance cannot be taken yet ("" once it can), as recording it would say.
        "meetings": [(m, attendance.attendance_refusal(m)) for m in selectors.program_meetings(program=program)],
        "moves": WaitlistMove.objects.filter(enrollment__program=program).select_related(
            "enrollment__patient", "moved_by"
        )[:20],
        "outcomes": selectors.program_outcomes(program=program)
        if request.user.has_perm("programs.view_outcomes", program)
        else None,
        "can_manage": can_manage,
        "can_take_attendance": request.user.has_perm("programs.take_attendance", program),
        "enroll_form": enroll_form,
        "join_refusal": join_refusal,
        "launch_refusal": formation.launch_refusal(program) if program.stage == ProgramStage.PROPOSED else "",
        "capacity_form": capacity_form,
        "registrants": lecture_selectors.program_registrants(program=program) if program.is_lecture else None,
        "can_record_payment": request.user.has_perm("programs.record_lecture_payment"),
        "interest": selectors.program_interest(program=program),
        "refused_form": form,
        "refused_message": refusal_said(NOT_DONE[refused], form) if form is not None else "",
        "move_form": form if refused == "move" else None,
        "refused_enrollment_id": enrollment.pk if enrollment is not None else None,
    }
    return render(request, "programs/detail.html", context, status=form_status(form))


@login_required
def program_edit(request, pk):
    program = _program(request, pk)
    permission_require(request.user, "programs.change_program", program)
    form = ProgramChangeForm(posted(request), instance=program)

    def update(data):
        changes = {f: data[f] for f in form.changed_data if f != "co_facilitators"}
        co_facilitators = data["co_facilitators"] if "co_facilitators" in form.changed_data else None
        setup.program_update(actor=request.user, program=program, co_facilitators=co_facilitators, **changes)
        if "minimum_to_launch" in changes:
            formation.interest_minimum_announce(program=program)

    if form_call(request, form, update, "Changes saved."):
        return redirect("programs:detail", pk=program.pk)
    context = {"form": form, "title": f"Edit {program.title}", "program": program}
    return render(request, "programs/form.html", context, status=form_status(form))


@login_required
@require_POST
def program_capacity(request, pk):
    program = _program(request, pk)
    permission_require(request.user, "programs.change_program", program)
    form = CapacityForm(request.POST)

    def said(offers) -> str:
        made = f" {len(offers)} seat offer{'s' if len(offers) != 1 else ''} sent." if offers else ""
        return f"Capacity is now {form.cleaned_data['capacity']}.{made}"

    def set_capacity(data):
        return setup.program_capacity_set(actor=request.user, program=program, capacity=data["capacity"])

    if form_call(request, form, set_capacity, said):
        return redirect("programs:detail", pk=program.pk)
    return _detail_page(request, _program(request, pk), refused="capacity", form=form)  # the seats as they now stand


@login_required
@require_POST
def program_enroll(request, pk):
    program = _program(request, pk)
    permission_require(request.user, "programs.enroll_patients")
    form = EnrollPatientForm(request.POST, program=program)
    if not form.is_valid():
        return _detail_page(request, program, refused="enroll", form=form)
    patient = form.cleaned_data["patient"]
    if request.POST.get("confirm_clash") != "yes":
        clash = member_meetings.program_clash_warning(patient=patient, program=program, addressing_patient=False)
        if clash:
            context = {"program": program, "patient": patient, "warning": clash}
            return render(request, "programs/enroll_clash.html", context, status=409)
    try:
        enrollment = formation.program_join(actor=request.user, program=program, patient=patient)
    except ApplicationError as exc:
        form_refusal(form, exc)
        return _detail_page(request, _program(request, pk), refused="enroll", form=form)
    where = {"enrolled": "enrolled", "waitlisted": "added to the waitlist"}[enrollment.status]
    if program.stage == ProgramStage.PROPOSED:
        where = "added to the interest list"
    messages.success(request, f"{patient.display_name} is {where}.")
    return redirect("programs:detail", pk=program.pk)


def _leave_confirmation(request, enrollment, action):
    """Withdrawing or declining an offer asks first: neither can be undone, and a seat either frees is offered to the
    next in line at once."""
    context = {
        "enrollment": enrollment,
        "action": action,
        "reason": request.POST.get("reason", "")[:300],
        **seats.withdrawal_preview(enrollment),
    }
    return render(request, "programs/leave_confirm.html", context)


def _withdraw(request, enrollment, form):
    seats.enrollment_withdraw(actor=request.user, enrollment=enrollment, reason=form.cleaned_data["reason"])
    return f"{enrollment.member_name} was withdrawn."


def _accept(request, enrollment, form):
    seats.enrollment_accept_offer(actor=request.user, enrollment=enrollment)
    return f"{enrollment.member_name} accepted the seat."


def _decline(request, enrollment, form):
    seats.enrollment_decline_offer(actor=request.user, enrollment=enrollment)
    return f"{enrollment.member_name} declined; the seat goes to the next in line."


def _move(request, enrollment, form):
    move = seats.enrollment_move(actor=request.user, enrollment=enrollment, **form.cleaned_data)
    return f"{enrollment.member_name} moved from #{move.from_rank} to #{move.to_rank}."


ENROLLMENT_ACTIONS = {"withdraw": _withdraw, "accept": _accept, "decline": _decline, "move": _move}
# What each action is sent with; the ids are those of the row's inputs on the program page, which a refusal's summary
# points to.
ACTION_FORMS = {
    "withdraw": lambda data, pk: WithdrawForm(data, auto_id=f"withdraw-{pk}-%s"),
    "move": lambda data, pk: MoveForm(data, auto_id=f"move-{pk}-%s"),
}
# What cannot be undone, so the page asks first.
ASKS_FIRST = {"withdraw", "decline"}


@login_required
@require_POST
def enrollment_action(request, pk, action):
    act = action_from_url(ENROLLMENT_ACTIONS, action)
    enrollment = get_object_or_404(selectors.enrollments_visible_to(user=request.user), pk=pk)
    permission_require(request.user, "programs.change_program", enrollment.program)
    if action == "move":
        permission_require(request.user, "programs.reorder_waitlist")
    if action in ASKS_FIRST and request.POST.get("confirmed") != "yes":
        return _leave_confirmation(request, enrollment, action)
    if action == "accept" and request.POST.get("confirm_clash") != "yes":
        # As enrolling does: a seat that clashes with the patient's other meetings is taken after a warning.
        clash = member_meetings.program_clash_warning(
            patient=enrollment.patient, program=enrollment.program, addressing_patient=False, taking_offer=True
        )
        if clash:
            context = {"program": enrollment.program, "patient": enrollment.patient, "enrollment": enrollment}
            return render(request, "programs/enroll_clash.html", {**context, "warning": clash}, status=409)
    form = ACTION_FORMS.get(action, lambda data, pk: forms.Form(data))(request.POST, enrollment.pk)
    if form.is_valid():
        try:
            done = act(request, enrollment, form)
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, done)
            return redirect("programs:detail", pk=enrollment.program_id)
    program = _program(request, enrollment.program_id)
    return _detail_page(request, program, refused=action, form=form, enrollment=enrollment)


@login_required
def meeting_attendance(request, pk):
    """The sheet of one meeting. A refused sheet comes back with the reason at its top and every choice as it was
    made, nothing recorded (the sheet is saved whole or not at all), 422 for a choice refused and 409 for the
    records as they now stand (a meeting not yet started, a row already charged)."""
    meeting = get_object_or_404(ProgramMeeting.objects.select_related("program", "appointment__room"), pk=pk)
    permission_require(request.user, "programs.take_attendance", meeting.program)
    sheet = selectors.meeting_attendance_sheet(meeting=meeting)
    chosen = {e.pk: record.status for e, record in sheet if record is not None}
    refused, status = "", 200
    if request.method == "POST":
        wanted = [(e, request.POST.get(f"status-{e.pk}", "")) for e, _ in sheet]
        records = [(e, typed) for e, typed in wanted if typed]
        try:
            attendance.attendance_record_many(actor=request.user, meeting=meeting, records=records)
        except ApplicationError as exc:
            refused, status = f"Attendance was not saved. {exc.message}", refusal_status(exc)
            chosen = {e.pk: typed for e, typed in wanted}
        else:
            messages.success(request, f"Attendance saved for {len(records)} member{'s' if len(records) != 1 else ''}.")
            return redirect("programs:attendance", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "program": meeting.program,
        "refusal": attendance.attendance_refusal(meeting),
        "refused": refused,
        "sheet": [(e, chosen.get(e.pk, "")) for e, _ in sheet],
        "choices": attendance_choices(by_video=meeting.appointment.is_telehealth),
    }
    return render(request, "programs/attendance.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lecture_payment(request, pk):
    """Money a registrant paid the clinic, at the door or sent for a series by video. Two steps: the amount, then a
    confirming press showing it."""
    permission_require(request.user, "programs.record_lecture_payment")
    enrollment = get_object_or_404(
        selectors.enrollments_visible_to(user=request.user)
        .select_related("registrant")
        .filter(registrant__isnull=False),
        pk=pk,
    )
    form = LecturePaymentForm(
        posted(request),
        kinds=lectures.lecture_payment_kinds(enrollment.program),
        methods=lectures.lecture_payment_methods(enrollment.program),
    )
    confirming = request.method == "POST" and form.is_valid() and request.POST.get("confirm") != "yes"
    if not confirming and form_call(
        request,
        form,
        lambda data: lectures.lecture_payment_record(actor=request.user, enrollment=enrollment, **data),
        lambda payment: (
            f"This payment from {enrollment.registrant.name} was already recorded; nothing more was recorded."
            if payment.replayed
            else f"Payment from {enrollment.registrant.name} recorded."
        ),
    ):
        return redirect("programs:detail", pk=enrollment.program_id)
    context = {"enrollment": enrollment, "program": enrollment.program, "form": form, "confirming": confirming}
    return render(request, "programs/lecture_payment.html", context, status=form_status(form))
