"""Patient pages: the material their therapist shared, each item with its link or file, the done mark, and for a
journaling prompt the entries they wrote."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.errors import ApplicationError
from apps.core.views import form_call, form_status, posted
from apps.patients.portal import portal_patient

from . import pages, selectors, services
from .forms import EntryForm

PERM = "education.use_portal_library"


def _own_open(request, pk):
    portal_patient(request, PERM)
    assignment = pages.assignment_or_404(request, pk, perm="education.work_own")
    if not assignment.is_open:
        raise Http404("Your therapist took this item off your list.")
    return assignment


@login_required
@require_safe
def library(request):
    patient = portal_patient(request, PERM)
    return render(
        request, "education/portal/library.html", {"assignments": selectors.assignments_of_patient(patient=patient)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def item(request, pk):
    assignment = _own_open(request, pk)
    form = EntryForm(posted(request)) if assignment.item.is_prompt else None
    if form is not None and form_call(
        request,
        form,
        lambda data: services.prompt_entry_write(actor=request.user, assignment=assignment, text=data["text"]),
        "Entry saved. Your therapist can read it.",
    ):
        return redirect("portal:library_item", assignment.pk)
    context = {
        "assignment": assignment,
        "item": assignment.item,
        "note": selectors.assignment_note(user=request.user, assignment=assignment),
        "form": form,
        "entries": selectors.entries_open(user=request.user, assignment=assignment) if form is not None else [],
    }
    return render(request, "education/portal/item.html", context, status=form_status(form))


@login_required
@require_POST
def mark_done(request, pk):
    """POST done=1 marks the item done, done=0 takes the mark back."""
    assignment = _own_open(request, pk)
    done = request.POST.get("done") == "1"
    try:
        services.assignment_mark_done(actor=request.user, assignment=assignment, done=done)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Marked done." if done else "No longer marked done.")
    target = request.POST.get("back") == "list"
    return redirect("portal:library") if target else redirect("portal:library_item", assignment.pk)


@login_required
@require_safe
def item_file(request, pk):
    return pages.file_download(_own_open(request, pk).item)
