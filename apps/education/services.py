"""Writes for the education library: keep the library, share an item with a patient, mark it done (or not), write a
journal entry from a prompt, withdraw an assignment.

Every write checks who acts, locks what it changes (the patient's row first, then the item or assignment, always in
that order), writes its access-log row and queues notices through the outbox. Notices say only that material was
shared, never what it is.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import encrypt_text
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, Unprocessable
from apps.core.links import absolute_url
from apps.core.permissions import permission_require
from apps.notifications.outbox import patient_notice_enqueue
from apps.patients.models import Patient

from .models import Assignment, CareLevel, ItemKind, LibraryItem, PromptEntry
from .uploads import library_file_kind

NOTE_MAX_LENGTH = 2000
ENTRY_MAX_LENGTH = 20000


def _item_fields(*, title: str, kind: str, care_level: str, description: str, link: str) -> dict:
    title = (title or "").strip()
    if not title:
        raise ApplicationError("Give the item a title.", fields={"title": ["This field is required."]})
    if kind not in ItemKind.values:
        raise ApplicationError("Choose what kind of item this is.", fields={"kind": ["Unknown kind."]})
    if care_level not in CareLevel.values:
        raise ApplicationError("Choose the care level it suits.", fields={"care_level": ["Unknown care level."]})
    return {
        "title": title,
        "kind": kind,
        "care_level": care_level,
        "description": (description or "").strip(),
        "link": (link or "").strip(),
    }


def _source_set(item: LibraryItem, *, link: str, upload) -> None:
    """A new upload replaces the link; a link replaces the file; with neither, the item keeps what it had."""
    if upload is not None and link:
        raise ApplicationError("Give a link or upload a file, not both.", fields={"link": ["Link or file, not both."]})
    if upload is not None:
        item.file_kind = library_file_kind(upload)
        item.file, item.file_size, item.link = upload, upload.size, ""
    elif link:
        item.link, item.file, item.file_kind, item.file_size = link, "", "", None
    if not item.is_prompt and not item.link and not item.file:
        raise ApplicationError(
            "A reading or recording needs a link or a file.", fields={"link": ["Give a link or upload a file."]}
        )


@transaction.atomic
def library_item_create(
    *,
    actor,
    title: str,
    kind: str,
    care_level: str = CareLevel.EDUCATION,
    description: str = "",
    link: str = "",
    upload=None,
) -> LibraryItem:
    permission_require(actor, "education.manage_library", message="Only admins and therapists keep the library.")
    fields = _item_fields(title=title, kind=kind, care_level=care_level, description=description, link=link)
    item = LibraryItem(created_by=actor, **{k: v for k, v in fields.items() if k != "link"})
    _source_set(item, link=fields["link"], upload=upload)
    item.save()
    access_log_write(actor=actor, action="library_item_create", subject=item, detail={"kind": item.kind})
    return item


@transaction.atomic
def library_item_update(
    *,
    actor,
    item: LibraryItem,
    title: str,
    kind: str,
    care_level: str,
    description: str = "",
    link: str = "",
    upload=None,
) -> LibraryItem:
    """Change an item. Patients who have it assigned see the change: it is the same item."""
    permission_require(actor, "education.manage_library", message="Only admins and therapists keep the library.")
    item = LibraryItem.objects.select_for_update().get(pk=item.pk)
    fields = _item_fields(title=title, kind=kind, care_level=care_level, description=description, link=link)
    if item.is_prompt != (fields["kind"] == ItemKind.JOURNALING_PROMPT) and item.assignments.exists():
        raise Conflict("This item is assigned to patients; it cannot become a prompt or stop being one.")
    for name in ("title", "kind", "care_level", "description"):
        setattr(item, name, fields[name])
    _source_set(item, link=fields["link"], upload=upload)
    item.save()
    access_log_write(actor=actor, action="library_item_update", subject=item, detail={"kind": item.kind})
    return item


def _active_set(*, actor, item: LibraryItem, active: bool, action: str) -> LibraryItem:
    permission_require(actor, "education.manage_library", message="Only admins and therapists keep the library.")
    item = LibraryItem.objects.select_for_update().get(pk=item.pk)
    if item.is_active == active:
        raise InvalidTransition("This item is already active." if active else "This item is already retired.")
    item.is_active = active
    item.save(update_fields=["is_active", "updated_at"])
    access_log_write(actor=actor, action=action, subject=item)
    return item


@transaction.atomic
def library_item_retire(*, actor, item: LibraryItem) -> LibraryItem:
    """No new assignments; patients who have it keep it."""
    return _active_set(actor=actor, item=item, active=False, action="library_item_retire")


@transaction.atomic
def library_item_restore(*, actor, item: LibraryItem) -> LibraryItem:
    return _active_set(actor=actor, item=item, active=True, action="library_item_restore")


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            "That note is too long.", fields={"note": [f"Keep it under {NOTE_MAX_LENGTH} characters."]}
        )
    return note


@transaction.atomic
def assignment_create(*, actor, patient: Patient, item: LibraryItem, note: str = "") -> Assignment:
    """Share an item with a patient the actor treats. Refused: another therapist's patient (403), a retired item
    (422), an item the patient already has open (409)."""
    permission_require(
        actor, "education.assign", patient, "Only a psychotherapist who treats this patient shares material."
    )
    note = _note(note)
    # Fixed order: the patient, then the item (a retirement racing this assignment waits or wins).
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    item = LibraryItem.objects.select_for_update().get(pk=item.pk)
    if not item.is_active:
        raise Unprocessable("This item is retired; choose another.", fields={"item": ["Retired."]})
    if not patient.is_in_care:  # read under the patient's lock, which a discharge takes too
        raise Unprocessable("This patient has been discharged: reactivate them before sharing material.")
    if patient.user_id is None:
        raise Unprocessable("This patient has no portal account to read it in.")
    if Assignment.objects.filter(patient=patient, item=item, withdrawn_at__isnull=True).exists():
        raise Conflict("The patient already has this item.", fields={"item": ["Already assigned."]})
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                item=item, patient=patient, assigned_by=actor, content_encrypted=encrypt_text(note) if note else ""
            )
    except IntegrityError as exc:  # the same item assigned at the same moment by another request
        raise Conflict("The patient already has this item.", fields={"item": ["Already assigned."]}) from exc
    access_log_write(
        actor=actor, action="education_assign", subject=assignment, patient_id=patient.pk, detail={"item": item.pk}
    )
    patient_notice_enqueue(
        patient=patient,
        subject=assignment,
        template="education_shared",
        key=f"educationassignment:{assignment.pk}:shared",
        context={"portal_url": absolute_url(reverse("portal:library_item", args=[assignment.pk]))},
    )
    return assignment


def _locked(assignment: Assignment) -> Assignment:
    Patient.objects.select_for_update().filter(pk=assignment.patient_id).first()
    return Assignment.objects.select_for_update().select_related("item").get(pk=assignment.pk)


def _require_own(actor, assignment: Assignment) -> None:
    permission_require(actor, "education.work_own", assignment.patient, "Only the patient does that.")


@transaction.atomic
def assignment_mark_done(*, actor, assignment: Assignment, done: bool = True) -> Assignment:
    """The patient marks an item done, or takes the mark back."""
    _require_own(actor, assignment)
    assignment = _locked(assignment)
    if not assignment.is_open:
        raise InvalidTransition("Your therapist took this item off your list.")
    if assignment.is_done == done:
        raise InvalidTransition("Already marked done." if done else "This item is not marked done.")
    assignment.done_at = clock.now() if done else None
    assignment.save(update_fields=["done_at", "updated_at"])
    access_log_write(
        actor=actor,
        action="education_done" if done else "education_undone",
        subject=assignment,
        patient_id=assignment.patient_id,
    )
    return assignment


@transaction.atomic
def assignment_withdraw(*, actor, assignment: Assignment) -> Assignment:
    """A treating therapist takes an item off the patient's list; entries written from it stay in the record."""
    permission_require(
        actor, "education.assign", assignment.patient, "Only a psychotherapist who treats this patient does that."
    )
    assignment = _locked(assignment)
    if not assignment.is_open:
        raise InvalidTransition("This item was already withdrawn.")
    assignment.withdrawn_at, assignment.withdrawn_by = clock.now(), actor
    assignment.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    access_log_write(actor=actor, action="education_withdraw", subject=assignment, patient_id=assignment.patient_id)
    return assignment


@transaction.atomic
def prompt_entry_write(*, actor, assignment: Assignment, text: str) -> PromptEntry:
    """The patient answers an assigned journaling prompt. The text is encrypted before it reaches the database."""
    _require_own(actor, assignment)
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Write something first.", fields={"text": ["This field is required."]})
    if len(text) > ENTRY_MAX_LENGTH:
        raise ApplicationError(
            "That entry is too long.", fields={"text": [f"Keep it under {ENTRY_MAX_LENGTH} characters."]}
        )
    assignment = _locked(assignment)
    if not assignment.is_open:
        raise InvalidTransition("Your therapist took this prompt off your list.")
    if not assignment.item.is_prompt:
        raise Unprocessable("Journal entries answer journaling prompts; this item is not one.")
    entry = PromptEntry.objects.create(
        assignment=assignment, patient_id=assignment.patient_id, content_encrypted=encrypt_text(text)
    )
    access_log_write(actor=actor, action="education_journal_write", subject=entry, patient_id=entry.patient_id)
    return entry
