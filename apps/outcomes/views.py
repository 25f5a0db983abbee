"""Staff pages for outcomes: reviewing a PHQ-9 flag and reading a journal entry a patient shared."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from apps.core.errors import NotFound
from apps.core.views import call_with_messages

from . import selectors, services


@login_required
@require_POST
def flag_review(request, pk):
    """Reviewing cannot be undone, so the chart's button asks first (a page); only its post with confirmed=yes
    marks the answer reviewed."""
    try:
        response = selectors.flag_get_for(user=request.user, response_id=pk)
    except NotFound as exc:  # a refusal, logged by the selector
        raise Http404(exc.message) from exc
    if request.POST.get("confirmed") != "yes":
        context = {
            "heading": "Mark this PHQ-9 reviewed?",
            "what": "PHQ-9 answered",
            "on": response.submitted_at,
            "patient": response.patient,
            "action": request.path,
        }
        return render(request, "frontdesk/flag_review_confirm.html", context)
    call_with_messages(
        request, lambda: services.flag_review(actor=request.user, response=response), "Marked as reviewed."
    )
    return redirect("notes:chart", patient_id=response.patient_id)


@login_required
@require_safe
def journal_entry(request, pk):
    try:
        entry = selectors.journal_entry_get_for(user=request.user, entry_id=pk)
    except NotFound as exc:  # a refusal, logged by the selector
        raise Http404(exc.message) from exc
    if not request.user.is_clinic_staff:
        # The patient's own entry: they read it in the portal. Nobody else reaches this line.
        raise Http404("No such journal entry.")
    entry, text = selectors.journal_entry_read(user=request.user, entry=entry)
    return render(request, "outcomes/journal_entry.html", {"entry": entry, "text": text, "patient": entry.patient})
