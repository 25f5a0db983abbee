"""Every write to notes. The row lock is taken before any status check so an autosave, a
signature and a co-signature on the same note run one after another, never interleaved."""

from importlib import import_module

from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.services import cosigner_check, staff_changes_one_at_a_time
from apps.audit.services import access_log_write
from apps.billing.services.diagnoses import diagnoses_propose_from_intake
from apps.core import clock
from apps.core.encryption import decrypt_json, encrypt_json, encrypt_text
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.core.permissions import permission_require
from apps.core.prepared import statements_prepared
from apps.notifications.models import Channel
from apps.notifications.outbox import message_enqueue
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.services import LOCK_RELATED as APPOINTMENT_LOCK_RELATED
from apps.scheduling.services import appointment_complete

from .content import MAX_LENGTH, content_clean
from .models import (
    ATTESTATION,
    COSIGN_ATTESTATION,
    Addendum,
    NoteStatus,
    NoteTemplate,
    PsychotherapyNote,
    SessionNote,
    TemplateKind,
)
from .selectors import (
    NOTE_NEEDED_STATUSES,
    awaiting_cosign_by_q,
    note_cosigner_for,
    note_template_default,
    overdue_counts_by_therapist,
)

NOTE_DENIED = "You may not do that with this note."
# What a signature changes: the answers, read under the lock and unchanged, are not sent again.
SIGNATURE_FIELDS = [
    "cosign_required",
    "cosigner",
    "status",
    "signed_at",
    "signed_by",
    "attestation",
    "attested_at",
    "updated_at",
]
WRITABLE_APPOINTMENT_STATUSES = set(NOTE_NEEDED_STATUSES)


SHIPPED_TEMPLATES_MIGRATIONS = (
    "apps.notes.migrations.0002_seed_note_templates",
    "apps.notes.migrations.0008_seed_bodywork_note_template",
)


def note_templates_ensure() -> None:
    """Make sure the shipped templates exist (the rows data migrations 0002 and 0008 write), for seeders and
    test setups that run after the migration's rows were flushed. Existing rows are left as they are."""
    for path in SHIPPED_TEMPLATES_MIGRATIONS:
        migration = import_module(path)
        names = [name for name, *_rest in migration.TEMPLATES]
        if NoteTemplate.objects.filter(name__in=names).count() < len(names):
            migration.seed(django_apps, None)


def _template_check(template: NoteTemplate, appointment) -> None:
    """An active template of the session's discipline (the database holds the discipline too:
    `note_template_matches_session`)."""
    if not template.is_active:
        raise Unprocessable("This template is retired.", fields={"template": ["Choose an active template."]})
    discipline = appointment.service_type.discipline
    if template.discipline != discipline:
        raise Unprocessable(
            f"{template.name} is a {template.get_discipline_display().lower()} template; this is a "
            f"{appointment.service_type.get_discipline_display().lower()} session.",
            fields={"template": ["Choose a template of the session's discipline."]},
        )


def _set_content(note: SessionNote, content: dict) -> None:
    note.content_encrypted = encrypt_json(content)
    note.pain_now = content.get("pain_now")
    note.pain_worst = content.get("pain_worst")


def _session_check(appointment: Appointment, note: SessionNote) -> None:
    """A note is written and signed only by the therapist who holds its session, and only while the session is
    one that takes place: a session handed to a colleague, cancelled or missed keeps its draft unsigned (the
    database holds this too: `note_by_session_therapist`)."""
    if appointment.status not in WRITABLE_APPOINTMENT_STATUSES:
        raise InvalidTransition(
            f"This session is {appointment.get_status_display().lower()}; its note can no longer be written or signed."
        )
    if appointment.therapist_id != note.author_id:
        raise InvalidTransition("This session is now another therapist's; its note can no longer be written or signed.")


def _locked(note: SessionNote) -> SessionNote:
    locked = SessionNote.objects.select_for_update(of=("self",)).filter(pk=note.pk).select_related("template").first()
    if locked is None:
        raise NotFound("No such note.")
    return locked


def _locked_with_session(note: SessionNote) -> SessionNote:
    """The note and its session locked in one statement, the session first as the scheduling services lock it (rows
    are locked in the order FOR UPDATE OF names them): a session moved or cancelled meanwhile is read as it ends
    up. The session comes with what completing and charging it read (`appointment_lock`), so it is not read
    again. Prepared on the connection, as `appointment_lock` is."""
    try:
        with statements_prepared():
            return (
                SessionNote.objects.select_for_update(of=("appointment", "self"))
                .select_related("template", *(f"appointment__{related}" for related in APPOINTMENT_LOCK_RELATED))
                .get(pk=note.pk)
            )
    except SessionNote.DoesNotExist:
        raise NotFound("No such note.") from None


@transaction.atomic
def note_create(*, actor, appointment, content: dict, template: NoteTemplate | None = None) -> SessionNote:
    """Start the note for one session (one note per appointment, written by its therapist).

    Without a template, the patient's usual one: intake for a first session, progress once they have a signed
    note from an earlier session (selectors.note_template_default).
    """
    # Under the session's lock, as signing and moving take it: a session being handed to a colleague at this moment
    # is read as it ends up, so its note is never started by the therapist who no longer holds it.
    appointment = Appointment.objects.select_for_update().select_related("service_type").get(pk=appointment.pk)
    permission_require(actor, "notes.add_note", appointment, message=NOTE_DENIED)
    if appointment.patient_id is None:
        raise Unprocessable("Group meetings have no individual session note.")
    if appointment.status not in WRITABLE_APPOINTMENT_STATUSES:
        raise InvalidTransition(f"A {appointment.get_status_display().lower()} session has no note.")
    if template is None:
        template = note_template_default(appointment=appointment)
        if template is None:
            raise Unprocessable("No note template is active.", fields={"template": ["Choose a template."]})
    _template_check(template, appointment)
    cleaned = content_clean(fields=template.fields, content=content, complete=False)
    note = SessionNote(appointment=appointment, patient_id=appointment.patient_id, author=actor, template=template)
    _set_content(note, cleaned)
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:
        raise Conflict("This session already has a note.") from None
    return note


def _update_draft(*, actor, note: SessionNote, content: dict, template: NoteTemplate | None = None) -> SessionNote:
    """Replace a draft's answers (autosave and explicit saves). Signed notes refuse; use an addendum."""
    note = _locked_with_session(note)
    permission_require(actor, "notes.change_note", note, message=NOTE_DENIED)
    if note.status != NoteStatus.DRAFT:
        raise InvalidTransition("This note is signed and can no longer change. Add an addendum instead.")
    _session_check(note.appointment, note)
    if template is not None and template.pk != note.template_id:
        _template_check(template, note.appointment)
        note.template = template
    cleaned = content_clean(fields=note.template.fields, content=content, complete=False)
    _set_content(note, cleaned)
    note.save()
    return note


def _sign(*, actor, note: SessionNote, attest: bool) -> SessionNote:
    """Make a complete draft final; from here on the database refuses content changes.

    The signer attests the note is accurate and complete (`attest`, the ticked box); the statement and its time
    are stored with the signature, and the database refuses a signature without them. A pre-licensed author's
    note also needs their supervisor's co-signature, recorded now so a later change of supervisor does not move
    the note. A past session still booked or checked in is marked completed.
    """
    # The session is locked as completing it locks it, and handed over to be completed, so it is read once.
    note = _locked_with_session(note)
    appointment = note.appointment
    permission_require(actor, "notes.sign_note", note, message=NOTE_DENIED)
    if note.status != NoteStatus.DRAFT:
        raise InvalidTransition("This note is already signed.")
    _session_check(appointment, note)
    now = clock.now()
    if appointment.start > now:
        raise InvalidTransition("A note can be signed once the session has started.")
    content = _signable_content(note, attest=attest)
    cosigner = note_cosigner_for(author=actor)
    if cosigner is not None:
        note.cosign_required = True
        note.cosigner = cosigner
    note.status = NoteStatus.SIGNED
    note.signed_at = now
    note.signed_by = actor
    note.attestation = ATTESTATION
    note.attested_at = now
    note.save(update_fields=SIGNATURE_FIELDS)
    _complete_session(appointment=appointment, actor=actor)
    if note.template.kind == TemplateKind.INTAKE and appointment.patient_id:
        # Only the ICD-10 codes leave the note, as proposals billing confirms before any superbill uses them.
        diagnoses_propose_from_intake(patient=appointment.patient, diagnosis_text=str(content.get("diagnosis", "")))
    return note


# Each in a transaction of its own; note_save_and_sign runs both in one, taking no savepoint for either but the one
# that keeps the saved answers when the signature is refused.
note_update_draft = transaction.atomic(_update_draft)
note_sign = transaction.atomic(_sign)


class DraftRefused(Unprocessable):
    """`note_save_and_sign` refused the answers themselves: unlike a refused signature, nothing was saved."""


def note_save_and_sign(*, actor, note: SessionNote, content: dict, attest: bool) -> SessionNote:
    """Save the answers the signer sees and sign exactly those: the session and the note stay locked from the save
    to the signature, so an autosave still on its way from the editor cannot slip older answers in between. A
    refused signature keeps the saved answers (they are committed before the refusal is raised); answers the draft
    itself refuses save nothing (DraftRefused)."""
    with transaction.atomic():
        # The save locks the session and the note, and this transaction holds both until the signature.
        try:
            note = _update_draft(actor=actor, note=note, content=content)
        except Unprocessable as draft_refusal:
            # The draft refused an answer (a pain score of 15). Signing checks the same answers and more, so its
            # refusal names, at once, the answers still missing and the attestation besides, rather than leaving
            # them for another round.
            try:
                _signable(note.template.fields, content, attest=attest)
            except Unprocessable as exc:
                raise DraftRefused(exc.message, fields=exc.fields) from None
            raise DraftRefused(draft_refusal.message, fields=draft_refusal.fields) from None
        try:
            with transaction.atomic():
                return _sign(actor=actor, note=note, attest=attest)
        except ApplicationError as exc:
            refusal = exc
    raise refusal


def _signable_content(note: SessionNote, *, attest: bool) -> dict:
    """The complete answers of a note about to be signed; every missing answer and a missing attestation are
    reported together, so one try shows everything left to do."""
    return _signable(note.template.fields, decrypt_json(note.content_encrypted), attest=attest)


def _signable(fields: list[dict], content: dict, *, attest: bool) -> dict:
    """`content` checked as signing checks it: every answer out of range, every required answer missing and a
    missing attestation in one refusal."""
    problems: dict[str, list[str]] = {}
    cleaned = {}
    try:
        cleaned = content_clean(fields=fields, content=content, complete=True)
    except Unprocessable as exc:
        problems.update(exc.fields)
    if attest is not True:
        problems["attest"] = [f"Tick “{ATTESTATION}” to sign."]
    if problems:
        message = "Some answers need attention." if set(problems) - {"attest"} else "Tick the attestation to sign."
        raise Unprocessable(message, fields=problems)
    return cleaned


def _complete_session(*, appointment, actor) -> None:
    """`appointment` is the row note_sign locked (appointment_lock)."""
    if appointment.status in {AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN}:
        appointment_complete(appointment=appointment, actor=actor, locked=True)


@transaction.atomic
def note_cosign(*, actor, note: SessionNote, attest: bool) -> SessionNote:
    """The supervisor's co-signature makes a pre-licensed therapist's signed note final.

    The supervisor attests they reviewed the note (`attest`, the ticked box); the statement and its time are stored
    with the co-signature, as the author's are with the signature, and the database refuses a co-signature without
    them.
    """
    note = _locked(note)
    permission_require(actor, "notes.cosign_note", note, message=NOTE_DENIED)
    if not note.awaiting_cosign:
        raise InvalidTransition("This note is not waiting for a co-signature.")
    if attest is not True:
        raise Unprocessable(
            "Tick the attestation to co-sign.", fields={"attest": [f"Tick “{COSIGN_ATTESTATION}” to co-sign."]}
        )
    now = clock.now()
    note.cosigned_at = now
    note.cosigned_by = actor
    note.cosign_attestation = COSIGN_ATTESTATION
    note.cosign_attested_at = now
    note.save(update_fields=["cosigned_at", "cosigned_by", "cosign_attestation", "cosign_attested_at", "updated_at"])
    return note


@transaction.atomic
def note_cosigns_hand_over(*, actor, supervisor: User, successor: User) -> int:
    """Hand every signed note awaiting `supervisor`'s co-signature to `successor`, who then co-signs them instead:
    how an admin lets a supervisor leave without leaving notes nobody may co-sign. The successor is someone who could
    supervise each note's author now (accounts' cosigner_check), checked under the staff-changes lock, so neither of
    them leaves or is made pre-licensed meanwhile; the notes are locked in id order, so a co-signature given at the
    same moment comes first (that note is final and stays) or after (refused: the note is no longer theirs). The
    database lets a note's co-signer change only while it awaits the co-signature. Returns how many were handed;
    one access-log row names them and the successor."""
    permission_require(actor, "accounts.manage_users", message="Only an admin hands notes over.")
    staff_changes_one_at_a_time()
    name = supervisor.full_name or supervisor.email
    ids = list(
        SessionNote.objects.select_for_update()
        .filter(awaiting_cosign_by_q(supervisor))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise Conflict(f"No signed notes await {name}'s co-signature.")
    if successor.pk == supervisor.pk:
        raise Unprocessable(
            f"The notes await {name}'s co-signature already: choose another supervisor.",
            fields={"successor": ["Choose someone else."]},
        )
    authors = User.objects.filter(authored_notes__pk__in=ids).distinct().select_related("therapist_profile")
    for author in authors.order_by("pk"):
        cosigner_check(author=author, cosigner=successor)
    SessionNote.objects.filter(pk__in=ids).update(cosigner=successor, updated_at=clock.now())
    access_log_write(
        actor=actor, action="note_cosigns_hand_over", subject=supervisor, detail={"to": successor.pk, "notes": ids}
    )
    return len(ids)


@transaction.atomic
def addendum_add(*, actor, note: SessionNote, text: str) -> Addendum:
    """Append a correction to a signed note. Addenda are immutable rows."""
    note = _locked(note)
    permission_require(actor, "notes.add_addendum", note, message=NOTE_DENIED)
    text = (text or "").strip()
    if not text:
        raise Unprocessable("Write the addendum text.", fields={"text": ["This field is required."]})
    if len(text) > MAX_LENGTH["longtext"]:
        raise Unprocessable("The addendum is too long.", fields={"text": ["Keep this under 20000 characters."]})
    return Addendum.objects.create(note=note, author=actor, content_encrypted=encrypt_text(text))


def _process_note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Unprocessable("Write something, or delete the note.", fields={"text": ["This field is required."]})
    if len(text) > MAX_LENGTH["longtext"]:
        raise Unprocessable("The process note is too long.", fields={"text": ["Keep this under 20000 characters."]})
    return text


@transaction.atomic
def process_note_create(*, actor, patient, text: str, appointment=None) -> PsychotherapyNote:
    """A psychotherapist's private process note about a patient they treat (optionally for one session)."""
    if not actor.has_perm("notes.view_clinical_chart", patient):
        raise NotFound("No such patient.")
    if not actor.has_perm("notes.add_process_note"):
        raise PermissionDenied("Process notes are psychotherapy notes; massage and bodywork providers keep none.")
    if appointment is not None and (appointment.patient_id != patient.pk or appointment.therapist_id != actor.pk):
        raise Unprocessable("That session is not yours with this patient.", fields={"appointment": ["Not yours."]})
    note = PsychotherapyNote(author=actor, patient=patient, appointment=appointment)
    note.content_encrypted = encrypt_text(_process_note_text(text))
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:
        raise Conflict("You already have a process note for this session.") from None
    return note


def _own_process_note(actor, process_note: PsychotherapyNote) -> PsychotherapyNote:
    note = PsychotherapyNote.objects.select_for_update().filter(pk=process_note.pk).first()
    # Someone else's process note answers exactly like a missing one.
    if note is None or note.author_id != actor.pk:
        raise NotFound("No such process note.")
    return note


@transaction.atomic
def process_note_update(*, actor, process_note: PsychotherapyNote, text: str) -> PsychotherapyNote:
    note = _own_process_note(actor, process_note)
    note.content_encrypted = encrypt_text(_process_note_text(text))
    note.save(update_fields=["content_encrypted", "updated_at"])
    return note


@transaction.atomic
def process_note_delete(*, actor, process_note: PsychotherapyNote) -> None:
    _own_process_note(actor, process_note).delete()


@transaction.atomic
def unsigned_notes_digest_queue(*, on) -> int:
    """Queue one email per therapist with overdue unsigned notes for the local date `on`.

    The message carries a count and a link only: never note text or patient names.
    """
    counts = {row["therapist"]: row["count"] for row in overdue_counts_by_therapist()}
    queued = 0
    for therapist in User.objects.filter(pk__in=counts, is_active=True).order_by("pk"):
        message = message_enqueue(
            channel=Channel.EMAIL,
            to_address=therapist.email,
            purpose="unsigned_notes_digest",
            template="unsigned_notes_digest",
            subject=therapist,
            send_at=clock.now(),
            dedupe_key=f"user:{therapist.pk}:unsigned_notes_digest:{on.isoformat()}",
            recipient_user=therapist,
            context={
                "therapist_first_name": therapist.first_name,
                "count": counts[therapist.pk],
                "queue_url": absolute_url(reverse("notes:unsigned")),
            },
        )
        queued += message is not None
    return queued
