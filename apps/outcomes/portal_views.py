"""Patient pages: questionnaires before sessions and the private journal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.errors import NotFound
from apps.core.time_zones import zone_or_none
from apps.core.views import form_call, form_status, posted
from apps.patients.portal import portal_patient

from . import selectors, services
from .forms import JournalEntryForm, QuestionnaireForm
from .instruments import INSTRUMENTS


@login_required
@require_safe
def questionnaires(request):
    patient = portal_patient(request, "portal.use_portal")
    pending = [(a, INSTRUMENTS[a.instrument]) for a in selectors.assignments_pending(patient=patient)]
    return render(request, "outcomes/portal/questionnaires.html", {"pending": pending, "patient": patient})


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_answer(request, pk):
    patient = portal_patient(request, "portal.use_portal")
    assignment = selectors.assignments_pending(patient=patient).filter(pk=pk).first()
    if assignment is None:
        return _questionnaire_answered(request, patient, pk)
    instrument = INSTRUMENTS[assignment.instrument]
    form = QuestionnaireForm(posted(request), instrument=instrument)
    if form_call(
        request,
        form,
        lambda _data: services.questionnaire_answer(actor=request.user, assignment=assignment, answers=form.answers()),
        f"Thank you. Your {instrument.name} answers were sent to your therapist.",
    ):
        return redirect("portal:questionnaires")
    context = {"form": form, "instrument": instrument}
    return render(request, "outcomes/portal/answer.html", context, status=form_status(form))


def _questionnaire_answered(request, patient, pk):
    """The link of a questionnaire already answered (the email, Back) says when the answers were sent; sending them
    again (409) says nothing new was kept. Scores are not shown: the portal shows a patient none."""
    answered = selectors.assignment_answered(patient=patient, pk=pk)
    if answered is None:
        raise Http404("No such questionnaire.")
    context = {
        "assignment": answered,
        "instrument": INSTRUMENTS[answered.instrument],
        "sent_at": answered.response.submitted_at if hasattr(answered, "response") else answered.completed_at,
        "patient": patient,
        "sent_again": request.method == "POST",
    }
    return render(request, "outcomes/portal/answered.html", context, status=409 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def journal(request):
    patient = portal_patient(request, "portal.use_portal")
    form = JournalEntryForm(posted(request))
    if _journal_form_saved(
        request,
        form,
        lambda text, share: services.journal_entry_create(actor=request.user, patient=patient, text=text, share=share),
    ):
        return redirect("portal:journal")
    entries = selectors.journal_entries_of(patient=patient)
    return render(
        request,
        "outcomes/portal/journal.html",
        {"form": form, "entries": entries, "reader_zone": zone_or_none(patient.time_zone)},
        status=form_status(form),
    )


def _journal_form_saved(request, form, save) -> bool:
    """Run `save(text, share)` for a valid post of the journal entry form."""
    return form_call(request, form, lambda data: save(data["text"], data["share"]), "Entry saved.")


def _own_entry(request, pk):
    patient = portal_patient(request, "portal.use_portal")
    try:
        entry = selectors.journal_entry_get_for(user=request.user, entry_id=pk, perm="outcomes.change_journal_entry")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return entry, patient


@login_required
@require_http_methods(["GET", "POST"])
def journal_entry(request, pk):
    _entry, patient = _own_entry(request, pk)
    entry, text = selectors.journal_entry_open(user=request.user, entry_id=pk)
    form = JournalEntryForm(posted(request), initial={"text": text, "share": entry.is_shared})
    if _journal_form_saved(
        request,
        form,
        lambda text, share: services.journal_entry_update(actor=request.user, entry=entry, text=text, shared=share),
    ):
        return redirect("portal:journal")
    return render(
        request,
        "outcomes/portal/journal_entry.html",
        {"form": form, "entry": entry, "reader_zone": zone_or_none(patient.time_zone)},
        status=form_status(form),
    )


@login_required
@require_POST
def journal_entry_share(request, pk):
    entry, _patient = _own_entry(request, pk)
    shared = request.POST.get("shared") == "1"
    services.journal_entry_share(actor=request.user, entry=entry, shared=shared)
    messages.success(request, "Shared with your therapist." if shared else "No longer shared.")
    return redirect("portal:journal")


@login_required
@require_POST
def journal_entry_delete(request, pk):
    entry, patient = _own_entry(request, pk)
    if request.POST.get("confirmed") != "yes":
        # The entry is gone for good once deleted (the patient's own writing, kept nowhere else): they confirm first.
        return render(
            request,
            "outcomes/portal/journal_entry_delete.html",
            {"entry": entry, "reader_zone": zone_or_none(patient.time_zone)},
        )
    services.journal_entry_delete(actor=request.user, entry=entry)
    messages.success(request, "Entry deleted.")
    return redirect("portal:journal")
