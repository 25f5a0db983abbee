"""Reads of the library, of assignments and of journal entries. Entry text is only returned by `entries_open`,
which writes one access-log row per entry a staff member reads."""

from dataclasses import dataclass

from django.db.models import Count, Max, QuerySet

from apps.audit.services import access_log_write, access_logs_write
from apps.core.encryption import decrypt_text
from apps.core.errors import NotFound

from .models import Assignment, LibraryItem, PromptEntry


@dataclass(frozen=True)
class EntryShown:
    entry: PromptEntry
    text: str


def library_items(*, active_only: bool = False) -> QuerySet[LibraryItem]:
    items = LibraryItem.objects.all()
    return items.filter(is_active=True) if active_only else items


def library_item_get(*, item_id) -> LibraryItem:
    item = LibraryItem.objects.filter(pk=item_id).first() if str(item_id).isdigit() else None
    if item is None:
        raise NotFound("No such library item.")
    return item


def _with_progress(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Each assignment with its item, who assigned it, how many entries it has and when the last was written."""
    return assignments.select_related("item", "assigned_by").annotate(
        entry_count=Count("entries"), last_entry_at=Max("entries__created_at")
    )


def assignments_of_patient(*, patient, open_only: bool = True) -> QuerySet[Assignment]:
    assignments = Assignment.objects.filter(patient=patient)
    if open_only:
        assignments = assignments.filter(withdrawn_at__isnull=True)
    return _with_progress(assignments).order_by("-created_at", "-id")


def assignment_get_for(*, user, assignment_id, perm: str = "education.read_entries") -> Assignment:
    """The assignment if `user` holds `perm` on its patient; otherwise NotFound, as if it did not exist (a staff
    member's refused attempt is logged)."""
    assignment = (
        _with_progress(Assignment.objects.filter(pk=assignment_id)).select_related("patient").first()
        if str(assignment_id).isdigit()
        else None
    )
    if assignment is None:
        raise NotFound("No such assignment.")
    if not user.has_perm(perm, assignment.patient):
        if user.is_authenticated and user.is_clinic_staff:
            access_log_write(
                actor=user,
                action="education_journal_view",
                subject=assignment,
                patient_id=assignment.patient_id,
                allowed=False,
            )
        raise NotFound("No such assignment.")
    return assignment


def assignment_note(*, user, assignment: Assignment) -> str:
    """The therapist's note to the patient, "" when there is none. The caller has checked the user may see the
    assignment; a staff member's reading of a note writes an access-log row, as reading a journal entry does."""
    if not assignment.content_encrypted:
        return ""
    if user.is_clinic_staff:
        access_log_write(actor=user, action="education_note_view", subject=assignment, patient_id=assignment.patient_id)
    return decrypt_text(assignment.content_encrypted)


def entries_open(*, user, assignment: Assignment) -> list[EntryShown]:
    """The assignment's journal entries, newest first, with their text. The caller has checked
    `education.read_entries`; a staff member's reading writes an access-log row per entry."""
    entries = list(assignment.entries.all())
    if user.is_clinic_staff and entries:
        access_logs_write(actor=user, action="education_journal_view", subjects=[(e, e.patient_id) for e in entries])
    return [EntryShown(entry, decrypt_text(entry.content_encrypted)) for entry in entries]
