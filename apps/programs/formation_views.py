"""Staff pages for programs that form before they run: launch, call off or move the decision date of a proposed
program (each behind a confirmation page), and the work queue of people waiting with no next step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from apps.core.errors import ApplicationError
from apps.core.views import action_from_url, form_call, form_refusal, form_status, posted

from . import selectors
from .forms import CallOffForm, DecisionMoveForm, LaunchForm, ResolveForm
from .models import ProgramStage
from .services import formation, stranded

WORK_QUEUE_PAGE = 100


def _launch(request, program, data):
    offers = formation.program_launch(program=program, actor=request.user, override_reason=data["override_reason"])
    return f"{program.title} launched: meetings booked, {len(offers)} seat offer{'s' if len(offers) != 1 else ''} sent."


def _call_off(request, program, data):
    counts = formation.program_call_off(program=program, reason=data["reason"], actor=request.user)
    return f"{program.title} is called off; {sum(counts.values())} people were told their next step."


def _decision(request, program, data):
    formation.program_decision_move(program=program, decision_on=data["decision_on"], actor=request.user)
    return f"The decision date is now {data['decision_on']:%B} {data['decision_on'].day}; the list was told."


# action -> (form, service, page heading, button label)
FORMATION_ACTIONS = {
    "launch": (LaunchForm, _launch, "Launch {title}?", "Launch and offer seats"),
    "call-off": (CallOffForm, _call_off, "Call off {title}?", "Call it off and tell everyone"),
    "decision": (DecisionMoveForm, _decision, "Move the decision date of {title}?", "Move the date and tell the list"),
}


@login_required
def program_formation(request, pk, action):
    """A confirmation page (GET) and the action itself (POST) for a proposed program."""
    form_class, service, heading, button = action_from_url(FORMATION_ACTIONS, action)
    program = get_object_or_404(selectors.programs_visible_to(user=request.user), pk=pk)
    if not request.user.has_perm("programs.change_program", program):
        raise PermissionDenied
    if program.stage != ProgramStage.PROPOSED:
        return redirect("programs:detail", pk=program.pk)
    form = form_class(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            done = service(request, program, form.cleaned_data)
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, done)
            return redirect("programs:detail", pk=program.pk)
    context = {
        "program": program,
        "form": form,
        "action": action,
        "heading": heading.format(title=program.title),
        "button": button,
        "interest": selectors.program_interest(program=program),
    }
    return render(request, "programs/formation_confirm.html", context, status=form_status(form))


@login_required
@require_safe
def work_queue(request):
    if not request.user.has_perm("programs.work_stranded_queue"):
        raise PermissionDenied
    items = list(selectors.stranded_work_queue()[:WORK_QUEUE_PAGE])
    resolved = list(selectors.stranded_work_queue(resolved=True)[:20])
    return render(request, "programs/work_queue.html", {"items": items, "resolved": resolved})


@login_required
def work_queue_resolve(request, pk):
    if not request.user.has_perm("programs.work_stranded_queue"):
        raise PermissionDenied
    item = get_object_or_404(selectors.stranded_work_queue(), pk=pk)
    form = ResolveForm(posted(request))
    if form_call(
        request,
        form,
        lambda data: stranded.stranded_item_resolve(item=item, note=data["note"], actor=request.user),
        "Resolved and taken off the work queue.",
    ):
        return redirect("programs:work_queue")
    context = {"item": item, "form": form}
    return render(request, "programs/work_queue_resolve.html", context, status=form_status(form))
