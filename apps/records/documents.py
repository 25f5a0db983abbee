"""The two renderings of a patient's record, and the download that logs who took it."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import HTML

from apps.audit.services import access_log_write

from .selectors import patient_record

FORMATS = {"pdf": "application/pdf", "json": "application/json"}


def record_json(record: dict) -> bytes:
    """ISO 8601 dates and times (with the clinic's offset), money as decimal strings; keys in docs/records.md."""
    return json.dumps(record, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def record_html(record: dict) -> str:
    return render_to_string("records/record_pdf.html", {"record": record})


def record_pdf(record: dict) -> bytes:
    return HTML(string=record_html(record), base_url=str(settings.BASE_DIR)).write_pdf()


def record_download(*, user, patient, fmt: str) -> HttpResponse:
    """The record as an attachment in `fmt` (pdf or json); logs the download itself besides the reads it made."""
    record = patient_record(user=user, patient=patient)
    body = record_pdf(record) if fmt == "pdf" else record_json(record)
    access_log_write(
        actor=user,
        action="records_download",
        subject=patient,
        patient_id=patient.pk,
        detail={"format": fmt, "session_notes": len(record["session_notes"])},
    )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    stamp = record["generated_at"].strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="record-{patient.chart_number}-{stamp}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
