"""The therapist's clinical chart of a patient (treatment plan with progress, sessions, notes, measure trends,
shared journal entries) and the records export (PDF of signed notes and addenda; never process notes)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from apps.audit.services import access_log_write
from apps.core import clock
from apps.outcomes import charts as outcomes_charts
from apps.outcomes import selectors as outcomes_selectors
from apps.patients.models import Patient

from . import plan_selectors, selectors
from .export import records_pdf
from .rules import can
from .services import WRITABLE_APPOINTMENT_STATUSES


def _patient_for(request, patient_id, *, perm: str, action: str) -> Patient:
    """The patient if the user holds `perm`; a denied or missing patient answers 404 (denials logged)."""
    patient = Patient.objects.select_related("primary_therapist").filter(pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient.")
    if not can(request.user, perm, patient):
        access_log_write(actor=request.user, action=action, subject=patient, patient_id=patient.pk, allowed=False)
        raise Http404("No such patient.")
    return patient


def _chart_data(patient) -> dict:
    return outcomes_charts.chart_data(
        measures=outcomes_selectors.measure_series(patient=patient),
        pain=selectors.pain_series(patient=patient),
        tz=clock.clinic_tz(),
    )


@login_required
@require_GET
def patient_chart(request, patient_id):
    patient = _patient_for(request, patient_id, perm="notes.view_clinical_chart", action="clinical_chart_view")
    # One row for the page: it shows note states and pain scores from notes, not note text.
    access_log_write(actor=request.user, action="clinical_chart_view", subject=patient, patient_id=patient.pk)
    chart_data = _chart_data(patient)
    context = {
        "patient": patient,
        "sessions": selectors.patient_sessions_with_notes(user=request.user, patient=patient),
        "chart_data": chart_data,
        "score_rows": outcomes_charts.score_rows(measures=chart_data["measures"], tz=clock.clinic_tz()),
        "open_flags": outcomes_selectors.open_flags(patient=patient),
        "journal_entries": outcomes_selectors.journal_entries_shared(patient=patient),
        "can_export": can(request.user, "notes.export_records", patient),
        "next_session": selectors.next_session(patient=patient),
        "writable_statuses": WRITABLE_APPOINTMENT_STATUSES,
        "plans": plan_selectors.plans_for_chart(user=request.user, patient=patient),
    }
    return render(request, "notes/chart.html", context)


@login_required
@require_GET
def patient_chart_data(request, patient_id):
    """Measure and pain series as JSON for the chart script."""
    patient = _patient_for(request, patient_id, perm="notes.view_clinical_chart", action="clinical_chart_view")
    access_log_write(actor=request.user, action="clinical_chart_view", subject=patient, patient_id=patient.pk)
    return JsonResponse(_chart_data(patient))


@login_required
@require_POST
def records_export(request, patient_id):
    """A PDF of the patient's signed notes and addenda for a records request; one access-log row per note."""
    patient = _patient_for(request, patient_id, perm="notes.export_records", action="note_export")
    response = HttpResponse(records_pdf(user=request.user, patient=patient), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="records-{patient.chart_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
