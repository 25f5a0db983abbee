"""Staff pages: the library (list, add, edit, retire), sharing an item from a patient's chart, reading a patient's
progress and journal entries on one item, withdrawing it."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.errors import NotFound, PermissionDenied
from apps.core.permissions import permission_require
from apps.core.views import call_with_messages, form_call, form_status, posted
from apps.patients.selectors import patient_get_for

from . import pages, selectors, services
from .forms import AssignForm, LibraryItemForm


def _item(pk):
    try:
        return selectors.library_item_get(item_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_safe
def library(request):
    permission_require(request.user, "education.view_library")
    context = {
        "items": selectors.library_items(),
        "can_manage": request.user.has_perm("education.manage_library"),
    }
    return render(request, "education/library.html", context)


def _item_page(request, form, call, *, item=None):
    saved = form_call(request, form, call, "Library item saved.")
    if saved:
        return redirect("education:library")
    return render(request, "education/item_form.html", {"form": form, "item": item}, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def item_new(request):
    permission_require(request.user, "education.manage_library")
    form = LibraryItemForm(posted(request), request.FILES or None)
    return _item_page(
        request,
        form,
        lambda data: services.library_item_create(actor=request.user, upload=data.pop("file"), **data),
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk):
    permission_require(request.user, "education.manage_library")
    item = _item(pk)
    form = LibraryItemForm.for_item(item, posted(request), request.FILES or None)
    return _item_page(
        request,
        form,
        lambda data: services.library_item_update(actor=request.user, item=item, upload=data.pop("file"), **data),
        item=item,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_retire(request, pk):
    """GET asks to confirm; POST retires."""
    permission_require(request.user, "education.manage_library")
    item = _item(pk)
    if request.method == "POST":
        done = call_with_messages(
            request,
            lambda: services.library_item_retire(actor=request.user, item=item),
            "Item retired. Patients who have it keep it; it can no longer be shared.",
        )
        return redirect("education:library") if done else redirect("education:retire", item.pk)
    return render(request, "education/retire_confirm.html", {"item": item})


@login_required
@require_POST
def item_restore(request, pk):
    permission_require(request.user, "education.manage_library")
    item = _item(pk)
    call_with_messages(
        request, lambda: services.library_item_restore(actor=request.user, item=item), "Item back in the library."
    )
    return redirect("education:library")


@login_required
@require_safe
def item_file(request, pk):
    permission_require(request.user, "education.view_library")
    return pages.file_download(_item(pk))


@login_required
@require_http_methods(["GET", "POST"])
def assign(request, patient_id):
    """Share an item with a patient, from their chart."""
    refusal = PermissionDenied("Only a psychotherapist who treats this patient shares material with them.")
    try:
        patient = patient_get_for(
            user=request.user,
            patient_id=patient_id,
            perm="education.assign",
            action="education_assign",
            refusal=refusal,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = AssignForm(posted(request), items=selectors.library_items(active_only=True))
    shared = form_call(
        request,
        form,
        lambda data: services.assignment_create(
            actor=request.user, patient=patient, item=data["item"], note=data["note"]
        ),
        "Shared. The patient gets a notice that material is waiting in their portal.",
    )
    if shared:
        return redirect("notes:chart", patient.pk)
    context = {"patient": patient, "form": form}
    return render(request, "education/assign.html", context, status=form_status(form))


@login_required
@require_safe
def assignment_detail(request, pk):
    """One shared item with the patient's progress and journal entries (each entry read is access-logged)."""
    assignment = pages.assignment_or_404(request, pk)
    permission_require(request.user, "education.view_progress", assignment.patient)
    context = {
        "assignment": assignment,
        "note": selectors.assignment_note(user=request.user, assignment=assignment),
        "entries": selectors.entries_open(user=request.user, assignment=assignment),
    }
    return render(request, "education/assignment.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_withdraw(request, pk):
    """GET asks to confirm; POST takes the item off the patient's list."""
    assignment = pages.assignment_or_404(request, pk)
    permission_require(request.user, "education.assign", assignment.patient)
    if request.method == "POST":
        call_with_messages(
            request,
            lambda: services.assignment_withdraw(actor=request.user, assignment=assignment),
            "Taken off the patient's list. Anything they wrote stays in the record.",
        )
        return redirect("notes:chart", assignment.patient_id)
    return render(request, "education/withdraw_confirm.html", {"assignment": assignment})
