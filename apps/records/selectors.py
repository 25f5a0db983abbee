"""The patient's record: everything the clinic holds about a patient that they have a right to, built once.

Both downloads (PDF and JSON) render from `patient_record`, so they always agree. Values stay Python values
(aware datetimes in the clinic's zone, dates, Decimals); the JSON rendering turns them into ISO strings and
decimal strings. The query count does not grow with the size of the record.

Never in it: psychotherapy (process) notes (no query here reads them), unsigned or not yet co-signed notes, and
session notes at all unless the clinic's policy releases them. Reading note text, journal text (the journal's and
the education library's prompts'), care-level reasons and incomes writes access-log rows, one per row read, in one
INSERT per kind.
"""

from django.db.models import Prefetch, Q

from apps.audit.services import access_logs_write
from apps.billing.models import SlidingScaleAssessment
from apps.core import clock
from apps.core.encryption import decrypt_json, decrypt_text
from apps.core.models import ClinicSettings
from apps.core.permissions import permission_require
from apps.education.models import Assignment, PromptEntry
from apps.ladder.selectors import care_ladder_read
from apps.notes import selectors as notes
from apps.notes.editor import field_rows
from apps.outcomes import selectors as outcomes
from apps.outcomes.instruments import INSTRUMENTS
from apps.patients.selectors import patient_open_chart
from apps.programs.member_meetings import member_meetings
from apps.scheduling.models import Appointment

from .account import account_sections
from .moments import local

FORMAT = "clinic-patient-record"
# 2: the care level with its history, and the education library's shared items with the prompts' journal entries.
# 3: what each statement asked the patient to pay at issue, with what was posted after its month up to the issue.
#    And what the portal's billing page shows: payment plans, packages, Good Faith Estimates, the fee, each payment's
#    and adjustment's words. The clock each session is on and the patient's own, so a reader can tell a session's
#    time as it was kept.
VERSION = 3


def _where(appointment) -> str:
    if appointment.is_telehealth:
        return "Video (telehealth)"
    return appointment.room.name if appointment.room else "At the clinic"


def _demographics(patient) -> dict:
    return {
        "chart_number": patient.chart_number,
        "legal_first_name": patient.legal_first_name,
        "legal_last_name": patient.legal_last_name,
        "preferred_name": patient.preferred_name,
        "pronouns": patient.pronouns,
        "date_of_birth": patient.date_of_birth,
        "email": patient.email,
        "phone": patient.phone,
        "address": {
            "line1": patient.address_line1,
            "line2": patient.address_line2,
            "city": patient.city,
            "state": patient.state,
            "postal_code": patient.postal_code,
        },
        "emergency_contact": {
            "name": patient.emergency_contact_name,
            "phone": patient.emergency_contact_phone,
            "relationship": patient.emergency_contact_relationship,
        },
        "primary_therapist": patient.primary_therapist.full_name if patient.primary_therapist else "",
        "status": patient.status,
        "status_label": patient.get_status_display(),
        "discharged_on": patient.discharged_on,
        "reminders_by_email": patient.reminder_email,
        "reminders_by_text": patient.reminder_sms,
        "time_zone": patient.time_zone,
    }


def _session(appointment, *, kind: str, program: str = "", attendance: str = "") -> dict:
    return {
        "start": local(appointment.start),
        "end": local(appointment.end),
        "time_zone": appointment.zone.key,
        "kind": kind,
        "program": program,
        "service": appointment.service_type.name,
        "service_code": appointment.service_type.code,
        "therapist": appointment.therapist.full_name,
        "where": _where(appointment),
        "status": appointment.status,
        "status_label": appointment.get_status_display(),
        "attendance": attendance,
        "cancellation_reason": appointment.cancellation_reason,
    }


def _sessions(patient) -> list[dict]:
    """Individual sessions and the group meetings the patient was a member at, past and coming, oldest first."""
    individual = Appointment.objects.filter(patient=patient).select_related(
        "therapist", "room", "service_type", "location"
    )
    rows = [_session(appointment, kind="individual") for appointment in individual]
    for meeting in member_meetings(patient=patient):
        attended = meeting.own_attendance[0].get_status_display() if meeting.own_attendance else ""
        rows.append(_session(meeting.appointment, kind="group", program=meeting.program.title, attendance=attended))
    return sorted(rows, key=lambda row: row["start"])


def _questionnaires(patient) -> list[dict]:
    rows = []
    for response in outcomes.responses_of(patient=patient):
        instrument = INSTRUMENTS[response.instrument]
        options = dict(instrument.options)
        rows.append(
            {
                "instrument": response.instrument,
                "name": instrument.name,
                "submitted_at": local(response.submitted_at),
                "score": response.score,
                "max_score": instrument.max_score,
                "severity": response.severity,
                "severity_label": instrument.band_label(response.severity),
                "answers": [
                    {
                        "question": question,
                        "answer": answer,
                        "answer_label": "" if answer is None else options.get(answer, str(answer)),
                    }
                    for question, answer in zip(instrument.items, response.answers, strict=False)
                ],
            }
        )
    return rows


def _journal(*, user, patient) -> list[dict]:
    """The patient's journal entries: every one in their own download; in the one staff make for a records request,
    only those they shared with their therapist (the rest were never the clinic's to read)."""
    of = outcomes.journal_entries_of if patient.user_id == user.pk else outcomes.journal_entries_shared
    entries = list(of(patient=patient).defer(None).order_by("created_at", "id"))
    access_logs_write(actor=user, action="journal_export", subjects=[(entry, patient.pk) for entry in entries])
    return [
        {
            "written_at": local(entry.created_at),
            "updated_at": local(entry.updated_at),
            "shared_with_therapist": entry.is_shared,
            "text": decrypt_text(entry.content_encrypted),
        }
        for entry in entries
    ]


def _care_level(*, user, patient) -> dict:
    """Where the patient stands on the care ladder and every move, oldest first, with who made it and why."""
    ladder = care_ladder_read(patient=patient)
    current, moves = ladder.current, ladder.moves[::-1]
    access_logs_write(actor=user, action="care_level_export", subjects=[(move, patient.pk) for move in moves])
    return {
        "level": current.level if current else "",
        "level_label": current.get_level_display() if current else "Not placed yet",
        "since": local(current.since) if current else None,
        "moves": [
            {
                "moved_at": local(move.moved_at),
                "from_level": move.from_level,
                "from_label": move.get_from_level_display() if move.from_level else "Not placed yet",
                "to_level": move.to_level,
                "to_label": move.get_to_level_display(),
                "moved_by": move.moved_by.full_name if move.moved_by else "",
                "reason": move.reason,
            }
            for move in moves
        ],
    }


def _education(*, user, patient) -> list[dict]:
    """What therapists shared from the education library, oldest first, withdrawn ones included, with the note
    that came with it and the patient's journal entries written from a prompt."""
    entries = Prefetch("entries", queryset=PromptEntry.objects.order_by("created_at", "id"))
    shared = list(
        Assignment.objects.filter(patient=patient)
        .select_related("item", "assigned_by")
        .prefetch_related(entries)
        .order_by("created_at", "id")
    )
    read = [(entry, patient.pk) for assignment in shared for entry in assignment.entries.all()]
    access_logs_write(actor=user, action="education_journal_export", subjects=read)
    noted = [(assignment, patient.pk) for assignment in shared if assignment.content_encrypted]
    access_logs_write(actor=user, action="education_note_export", subjects=noted)
    return [
        {
            "title": assignment.item.title,
            "kind": assignment.item.kind,
            "kind_label": assignment.item.get_kind_display(),
            "link": assignment.item.link,
            "shared_at": local(assignment.created_at),
            "shared_by": assignment.assigned_by.full_name,
            "note": decrypt_text(assignment.content_encrypted) if assignment.content_encrypted else "",
            "done_at": local(assignment.done_at),
            "withdrawn_at": local(assignment.withdrawn_at),
            "entries": [
                {"written_at": local(entry.created_at), "text": decrypt_text(entry.content_encrypted)}
                for entry in assignment.entries.all()
            ],
        }
        for assignment in shared
    ]


def _applications(*, user, patient) -> list[dict]:
    applications = list(SlidingScaleAssessment.objects.filter(patient=patient).order_by("created_at", "id"))
    access_logs_write(actor=user, action="income_view", subjects=[(a, patient.pk) for a in applications])
    return [
        {
            "submitted_at": local(a.created_at),
            "household_size": a.household_size,
            "annual_income": a.annual_income,
            "guideline_year": a.guideline_year,
            "percent_of_guideline": a.percent_of_guideline,
            "fee_class": a.class_label,
            "status": a.status,
            "status_label": a.get_status_display(),
            "effective_from": a.effective_from,
            "expires_on": a.expires_on,
            "fixed_fee": a.override_fee,
            "rejection_reason": a.rejection_reason,
        }
        for a in applications
    ]


def _session_notes(*, user, patient, released: bool) -> list[dict]:
    """Final session notes (signed, and co-signed where a supervisor must), with their addenda. Empty unless the
    clinic releases them."""
    if not released:
        return []
    final = Q(cosign_required=False) | Q(cosigned_at__isnull=False)
    found = list(notes.notes_for_export(patient=patient).filter(final))
    access_logs_write(actor=user, action="note_export", subjects=[(note, patient.pk) for note in found])
    return [
        {
            "session_start": local(note.appointment.start),
            "service": note.appointment.service_type.name,
            "template": note.template.name,
            "author": note.author.full_name,
            "signed_at": local(note.signed_at),
            "cosigned_at": local(note.cosigned_at),
            "fields": [
                {"label": row["field"]["label"], "value": row["display"]}
                for row in field_rows(fields=note.template.fields, content=decrypt_json(note.content_encrypted))
                if row["display"]
            ],
            "addenda": [
                {
                    "written_at": local(addendum.created_at),
                    "author": addendum.author.full_name,
                    "text": decrypt_text(addendum.content_encrypted),
                }
                for addendum in note.addenda.all()
            ],
        }
        for note in found
    ]


def patient_record(*, user, patient) -> dict:
    """The whole record of one patient, as both downloads show it. `user` is who reads it (the patient, or the
    administrator answering their records request); the reads of note text, journal text and incomes are logged
    under their name."""
    clinic = ClinicSettings.load()
    released = clinic.records_release_session_notes
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": clock.local_now(),
        "clinic": {"name": clinic.name, "address": clinic.address, "phone": clinic.phone, "email": clinic.email},
        "patient": _demographics(patient),
        "sessions": _sessions(patient),
        **account_sections(patient),
        "questionnaires": _questionnaires(patient),
        "journal": _journal(user=user, patient=patient),
        "care_level": _care_level(user=user, patient=patient),
        "education": _education(user=user, patient=patient),
        "sliding_scale_applications": _applications(user=user, patient=patient),
        "session_notes_released": released,
        "session_notes": _session_notes(user=user, patient=patient, released=released),
    }


def record_export_latest(*, patient, audience: str):
    """The latest record file asked for `patient` for `audience` (the patient's own copy, or a records request), or
    None: what the portal's Records page and the patient's page show, in one query."""
    from .models import RecordExport

    return RecordExport.objects.filter(patient=patient, audience=audience).order_by("-requested_at", "-id").first()


def record_export_of(*, patient, audience: str, export_id: int):
    """Export `export_id` if it is `patient`'s for `audience`, else None: another patient's is not found."""
    from .models import RecordExport

    return RecordExport.objects.filter(pk=export_id, patient=patient, audience=audience).first()


def records_request_patient(*, user, patient_id: int):
    """The patient whose records request `user` answers, on the patient's page and in the API alike.
    PermissionDenied for anyone but an administrator, before any chart is looked up, so a refusal says nothing of
    the patient; NotFound for no such patient. The chart's opening is access-logged as the chart page's is."""
    permission_require(user, "records.export_for_patient", message="Only an administrator answers a records request.")
    return patient_open_chart(user=user, patient_id=patient_id, perm="patients.open_chart_page")
