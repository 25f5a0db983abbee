"""The patient's "Your records" page in the portal: the PDF, asked for here and made in the background, and the
JSON file, made in the request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from apps.core.errors import ApplicationError
from apps.core.htmx import render_page
from apps.core.models import ClinicSettings
from apps.patients.portal import portal_patient

from .documents import FORMATS, record_download, record_export_download
from .models import ExportAudience, ExportStatus
from .selectors import record_export_latest, record_export_of
from .services import record_export_request


def export_context(
    *,
    export,
    ask_url: str,
    ask_label: str,
    ask_again_label: str,
    status_url: str,
    download_url_name: str,
    url_args: tuple,
) -> dict:
    """What `records/_export_status.html` shows of the latest export, on the portal page and the patient's page.
    Beside a ready file the ask button says it makes a new one (with what was added since), not the same again."""
    return {
        "export": export,
        "being_prepared": export is not None and export.status == ExportStatus.QUEUED,
        "ask_url": ask_url,
        "ask_label": ask_again_label if export is not None and export.status == ExportStatus.READY else ask_label,
        "status_url": status_url,
        "download_url": reverse(download_url_name, args=(*url_args, export.pk)) if export else "",
    }


def export_download_page(*, user, export):
    """The file of `export` (None: not this page's), for the portal and the patient's page. A page offers the
    download only once the file is ready, so any other state is the 404 page saying to ask again."""
    if export is None:
        raise Http404("No such file.")
    try:
        return record_export_download(user=user, export=export)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


@login_required
@require_safe
def records_home(request):
    patient = portal_patient(request, "records.download_own")
    context = {
        "notes_released": ClinicSettings.load().records_release_session_notes,
        "patient": patient,
        **export_context(
            export=record_export_latest(patient=patient, audience=ExportAudience.PATIENT),
            ask_url=reverse("portal:records:download", args=["pdf"]),
            ask_label="Prepare a PDF",
            ask_again_label="Prepare a new PDF",
            status_url=reverse("portal:records:home"),
            download_url_name="portal:records:export_download",
            url_args=(),
        ),
    }
    return render_page(request, "records/portal.html", context, partial="records/_export_status.html")


@login_required
@require_POST
def records_download(request, fmt):
    """The JSON file at once (it takes a second); the PDF asked for, to be made by a worker (it may take minutes)."""
    patient = portal_patient(request, "records.download_own")
    if fmt not in FORMATS:
        raise Http404("No such format.")
    if fmt == "json":
        return record_download(user=request.user, patient=patient, fmt=fmt)
    _, queued = record_export_request(actor=request.user, patient=patient, audience=ExportAudience.PATIENT)
    if queued:
        messages.success(request, "We are preparing your PDF. We will email you when it is ready to download.")
    else:
        messages.info(request, "Your PDF is already being prepared. We will email you when it is ready.")
    return redirect("portal:records:home")


@login_required
@require_POST
def records_export_download(request, export_id):
    patient = portal_patient(request, "records.download_own")
    export = record_export_of(patient=patient, audience=ExportAudience.PATIENT, export_id=export_id)
    return export_download_page(user=request.user, export=export)
