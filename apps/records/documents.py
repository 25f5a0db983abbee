"""The two renderings of a patient's record, and the download that logs who took it."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import HTML

from apps.audit.services import access_log_write
from apps.core.encryption import DecryptionError, decrypt_bytes
from apps.core.errors import Conflict, NotFound

from .models import ExportStatus
from .selectors import patient_record

FORMATS = {"pdf": "application/pdf", "json": "application/json"}


def record_json(record: dict) -> bytes:
    """ISO 8601 dates and times (with the clinic's offset), money as decimal strings; keys in docs/records.md."""
    return json.dumps(record, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def record_html(record: dict) -> str:
    return render_to_string("records/record_pdf.html", {"record": record})


def record_pdf(record: dict) -> bytes:
    return HTML(string=record_html(record), base_url=str(settings.BASE_DIR)).write_pdf()


def _download_logged(*, user, patient, fmt: str, session_notes: int) -> None:
    access_log_write(
        actor=user,
        action="records_download",
        subject=patient,
        patient_id=patient.pk,
        detail={"format": fmt, "session_notes": session_notes},
    )


def record_export_download(*, user, export) -> HttpResponse:
    """A prepared record file, for whoever the view let through; logged as the download made in the request was.
    Conflict while it is being prepared; NotFound, saying to ask again, once it failed, expired or cannot be read."""
    if export.status == ExportStatus.QUEUED:
        raise Conflict("This file is still being prepared. Try again once it is ready.")
    if export.status != ExportStatus.READY:
        raise NotFound("This file is not ready, or no longer kept. Ask for it again.")
    try:
        with export.file.open("rb") as stored:
            body = decrypt_bytes(stored.read())
    except FileNotFoundError as exc:  # a server without the shared private directory: nothing was sent, nor logged
        raise NotFound("This file cannot be found. Ask for it again.") from exc
    except DecryptionError as exc:  # its key was retired since: the file is as good as gone
        raise NotFound("This file can no longer be read. Ask for it again.") from exc
    _download_logged(user=user, patient=export.patient, fmt=export.format, session_notes=export.session_notes)
    return _attachment(body, fmt=export.format, filename=export.download_name)


def _attachment(body: bytes, *, fmt: str, filename: str) -> HttpResponse:
    """Always a download, never rendered inline by the browser nor sniffed as another type, nor kept in a cache."""
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def record_download(*, user, patient, fmt: str) -> HttpResponse:
    """The record as an attachment in `fmt` (pdf or json); logs the download itself besides the reads it made."""
    record = patient_record(user=user, patient=patient)
    body = record_pdf(record) if fmt == "pdf" else record_json(record)
    _download_logged(user=user, patient=patient, fmt=fmt, session_notes=len(record["session_notes"]))
    stamp = record["generated_at"].strftime("%Y-%m-%d")
    return _attachment(body, fmt=fmt, filename=f"record-{patient.chart_number}-{stamp}.{fmt}")
