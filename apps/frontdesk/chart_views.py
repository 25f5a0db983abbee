"""The therapist's clinical chart of a patient: treatment plan with progress, sessions and their notes, measure
trends, shared journal entries, education material and its progress. It composes notes, outcomes and education, so
it lives up here; its address and name are the notes app's (notes:chart, /notes/patients/<id>/chart/), see
chart_urls."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from apps.core import clock
from apps.core.errors import NotFound
from apps.education import selectors as education_selectors
from apps.intake import selectors as intake_selectors
from apps.notes import plan_selectors
from apps.notes import selectors as notes_selectors
from apps.notes.services import WRITABLE_APPOINTMENT_STATUSES
from apps.outcomes import charts as outcomes_charts
from apps.outcomes import selectors as outcomes_selectors
from apps.programs.lecture_selectors import registrant_lecture_history
from apps.scheduling import selectors as scheduling_selectors


def _chart_patient(request, patient_id, perm: str = "notes.view_clinical_chart"):
    try:
        return notes_selectors.clinical_chart_open(user=request.user, patient_id=patient_id, perm=perm)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _chart_data(user, patient) -> dict:
    return outcomes_charts.chart_data(
        measures=outcomes_selectors.measure_series(patient=patient),
        pain=notes_selectors.pain_series(user=user, patient=patient),
        tz=clock.clinic_tz(),
    )


def _psychotherapy_panels(request, patient) -> dict:
    """The chart's psychotherapy content: plan, measure and pain trends, flags, shared journal entries. Empty for a
    massage and bodywork provider, who sees the sessions and their own bodywork notes only."""
    if not request.user.has_perm("notes.view_psychotherapy_record", patient):
        return {"shows_psychotherapy": False}
    chart_data = _chart_data(request.user, patient)
    return {
        "shows_psychotherapy": True,
        "chart_data": chart_data,
        "score_rows": outcomes_charts.score_rows(measures=chart_data["measures"], tz=clock.clinic_tz()),
        "open_flags": outcomes_selectors.open_flags(patient=patient),
        "open_answer_flags": intake_selectors.answer_flags_open(patient=patient),
        "journal_entries": outcomes_selectors.journal_entries_shared(patient=patient),
        "plans": plan_selectors.plans_for_chart(user=request.user, patient=patient),
        "education_assignments": education_selectors.assignments_of_patient(patient=patient),
        "can_share_education": request.user.has_perm("education.assign", patient),
    }


@login_required
@require_safe
def patient_chart(request, patient_id):
    patient = _chart_patient(request, patient_id)
    context = {
        "patient": patient,
        "sessions": notes_selectors.patient_sessions_page(
            user=request.user, patient=patient, number=request.GET.get("page")
        ),
        "can_export": request.user.has_perm("notes.export_records", patient),
        # The session the care ladder's next step names too: one read of it per request.
        "next_session": scheduling_selectors.patient_next_session(patient=patient),
        "writable_statuses": WRITABLE_APPOINTMENT_STATUSES,
        **_psychotherapy_panels(request, patient),
        "lecture_history": list(registrant_lecture_history(patient=patient)),
    }
    return render(request, "frontdesk/chart.html", context)


@login_required
@require_safe
def patient_chart_data(request, patient_id):
    """Measure and pain series as JSON for the chart script (psychotherapists only)."""
    patient = _chart_patient(request, patient_id, perm="notes.view_psychotherapy_record")
    return JsonResponse(_chart_data(request.user, patient))
