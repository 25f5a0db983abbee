"""Staff side: an administrator answers a patient's records request with the same download the patient gets. The
PDF is asked for here and made in the background; the patient's page shows where it stands."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from apps.core.errors import NotFound

from .documents import FORMATS, record_download
from .models import ExportAudience
from .portal_views import export_context, export_download_page
from .selectors import record_export_latest, record_export_of, records_request_patient
from .services import record_export_request


def _requested_patient(request, patient_id):
    """The patient, for an administrator who may open their chart: 403 for anyone else, 404 for no such patient."""
    try:
        return records_request_patient(user=request.user, patient_id=patient_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def records_request_context(*, patient) -> dict:
    """The records-request PDF's standing on the patient's page (and its refreshes)."""
    return export_context(
        export=record_export_latest(patient=patient, audience=ExportAudience.RECORDS_REQUEST),
        ask_url=reverse("records:patient_export", args=[patient.pk, "pdf"]),
        ask_label="Records request (PDF)",
        ask_again_label="New records request (PDF)",
        status_url=reverse("records:patient_export_status", args=[patient.pk]),
        download_url_name="records:patient_export_download",
        url_args=(patient.pk,),
    )


@login_required
@require_POST
def patient_record_export(request, patient_id, fmt):
    patient = _requested_patient(request, patient_id)
    if fmt not in FORMATS:
        raise Http404("No such format.")
    if fmt == "json":
        return record_download(user=request.user, patient=patient, fmt=fmt)
    _, queued = record_export_request(actor=request.user, patient=patient, audience=ExportAudience.RECORDS_REQUEST)
    if queued:
        messages.success(request, "The records request PDF is being prepared. This page shows when it is ready.")
    else:
        messages.info(request, "The records request PDF is already being prepared.")
    return redirect("patients:detail", patient.pk)


@login_required
@require_safe
def patient_record_export_status(request, patient_id):
    patient = _requested_patient(request, patient_id)
    return render(request, "records/_export_status.html", records_request_context(patient=patient))


@login_required
@require_POST
def patient_record_export_download(request, patient_id, export_id):
    patient = _requested_patient(request, patient_id)
    export = record_export_of(patient=patient, audience=ExportAudience.RECORDS_REQUEST, export_id=export_id)
    return export_download_page(user=request.user, export=export)
