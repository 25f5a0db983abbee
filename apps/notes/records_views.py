"""The records export (PDF of signed notes and addenda; never process notes) and the patient lookup the clinical
pages share (the chart, in frontdesk, and the plan pages)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from apps.core.errors import NotFound
from apps.patients.models import Patient

from . import selectors
from .export import records_pdf


def clinical_patient_or_404(request, patient_id, *, perm: str, action: str) -> Patient:
    """The patient if the user holds `perm`; a denied or missing patient answers 404 (denials logged)."""
    try:
        return selectors.patient_get_for(user=request.user, patient_id=patient_id, perm=perm, action=action)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def records_export(request, patient_id):
    """A PDF of the patient's signed notes and addenda for a records request; one access-log row per note."""
    patient = clinical_patient_or_404(request, patient_id, perm="notes.export_records", action="note_export")
    response = HttpResponse(records_pdf(user=request.user, patient=patient), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="records-{patient.chart_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
