"""Records export: the signed notes and addenda of one patient as a PDF (WeasyPrint).

Built only from SessionNote and Addendum rows, so process notes cannot reach it.
"""

from django.template.loader import render_to_string
from weasyprint import HTML

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import decrypt_json, decrypt_text
from apps.core.models import ClinicSettings

from . import selectors
from .editor import field_rows


def records_html(*, user, patient) -> str:
    entries = []
    for note in selectors.notes_for_export(patient=patient):
        access_log_write(actor=user, action="note_export", subject=note, patient_id=patient.pk)
        rows = field_rows(fields=note.template.fields, content=decrypt_json(note.content_encrypted))
        entries.append(
            {
                "note": note,
                "rows": [row for row in rows if row["display"]],
                "addenda": [(addendum, decrypt_text(addendum.content_encrypted)) for addendum in note.addenda.all()],
            }
        )
    return render_to_string(
        "notes/records_export.html",
        {
            "patient": patient,
            "entries": entries,
            "clinic": ClinicSettings.load(),
            "generated_at": clock.local_now(),
            "generated_by": user,
        },
    )


def records_pdf(*, user, patient) -> bytes:
    return HTML(string=records_html(user=user, patient=patient)).write_pdf()
