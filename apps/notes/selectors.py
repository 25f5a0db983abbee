"""Reads of notes. Lists carry no note text; every read of note text goes through a function
here that checks the rule and writes one access-log row, allowed or denied."""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils.formats import date_format

from apps.accounts.disciplines import Discipline, discipline_of
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.rules import is_bodywork_provider, is_psychotherapist
from apps.accounts.selectors import supervisors_eligible
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import decrypt_json, decrypt_text
from apps.core.errors import NotFound, PermissionDenied
from apps.core.paging import page_read
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for, treating_patients_q
from apps.scheduling.models import Appointment, AppointmentStatus

from .models import Addendum, NoteStatus, NoteTemplate, PsychotherapyNote, SessionNote, TemplateKind, TreatmentPlan

# A session's note is overdue once it is still unsigned this long after the session.
UNSIGNED_GRACE = dt.timedelta(hours=72)
# The chart lists a patient's sessions this many to a page, newest first: years of weekly sessions on one page were
# hundreds of rows to scroll and to render on every visit.
CHART_SESSIONS_PER_PAGE = 25
# Sessions that happened (or were scheduled to) and so need a note.
NOTE_NEEDED_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED]


@dataclass(frozen=True)
class OpenedNote:
    note: SessionNote
    content: dict
    addenda: list[tuple[Addendum, str]]


def templates_active(*, discipline: str | None = None) -> QuerySet[NoteTemplate]:
    """Active templates, of one discipline if given (a session's note uses a template of its service's)."""
    templates = NoteTemplate.objects.filter(is_active=True)
    return templates if discipline is None else templates.filter(discipline=discipline)


def _note_list_base() -> QuerySet[SessionNote]:
    # Newest session first, said here: the model's default ordering is dropped from a query that counts (GROUP BY).
    return (
        SessionNote.objects.defer("content_encrypted")
        .select_related("appointment", "patient", "author", "template", "cosigner")
        .annotate(addenda_count=Count("addenda"))
        .order_by("-appointment__start", "-pk")
    )


def _visible_q(*, user) -> Q:
    """rules.view_note in SQL, for a therapist: their own notes, notes they must co-sign, and signed notes of
    patients they treat; for a bodywork provider only the first two, and only of bodywork sessions."""
    own = Q(author=user) | Q(cosigner=user)
    if is_bodywork_provider(user):
        return own & Q(appointment__service_type__discipline=Discipline.BODYWORK)
    # One existence check on the note's own patient, not "patient IN (every patient the therapist treats)": the
    # planner estimated that list badly and its cost with it.
    treated = Exists(Patient.objects.filter(treating_patients_q(therapist=user), pk=OuterRef("patient_id")))
    return own | (Q(status=NoteStatus.SIGNED) & Q(treated))


def _reads_notes(user) -> bool:
    return user.is_authenticated and user.has_role(Role.THERAPIST)


def notes_visible_to(*, user) -> QuerySet[SessionNote]:
    """Note metadata (never text) the user may see: their own notes, notes they must co-sign,
    and signed notes of patients they treat."""
    qs = _note_list_base()
    if not _reads_notes(user):
        return qs.none()
    return qs.filter(_visible_q(user=user))


def note_template_default(*, appointment) -> NoteTemplate | None:
    """The template a session's note starts from, among those of the session's discipline: progress for a returning
    patient (one with a signed note of that discipline from an earlier session), intake for a first session; the
    other kind if the clinic has retired every one of these."""
    returning = SessionNote.objects.filter(
        patient_id=appointment.patient_id, status=NoteStatus.SIGNED, appointment__start__lt=appointment.start
    )
    discipline = appointment.service_type.discipline
    returning = returning.filter(appointment__service_type__discipline=discipline)
    preferred = TemplateKind.PROGRESS if returning.exists() else TemplateKind.INTAKE
    kind_first = Case(When(kind=preferred, then=Value(0)), default=Value(1))
    return templates_active(discipline=discipline).order_by(kind_first, "name", "pk").first()


def patient_intake_notes_signed(*, patient, discipline: str) -> QuerySet[SessionNote]:
    """The patient's signed intake notes of the discipline: any one means their intake assessment is done, whatever
    session it was written on (a clinic may hold it in a regular session's time and code). No note text is read."""
    return SessionNote.objects.filter(
        patient=patient,
        status=NoteStatus.SIGNED,
        template__kind=TemplateKind.INTAKE,
        template__discipline=discipline,
    )


@dataclass(frozen=True)
class NoteLink:
    """Where a session's note is for one user: the action ("Write note", "Continue note", "View note") and its page."""

    state: str  # "none", "draft" or "signed"
    label: str
    url: str


def note_links_for(*, user, appointments) -> dict[int, NoteLink]:
    """The note link each session shows this user (sessions without one are left out), in one query.

    View: the notes rules (rules.view_note, as _visible_q). Continue: the draft's author (notes.change_note). Write:
    the session's therapist, once an individual session that needs a note has started and nobody has written one
    (notes.add_note). Process notes play no part: they are never linked from here.
    """
    sessions = [a for a in appointments if a.patient_id is not None]
    if not sessions or not _reads_notes(user):
        return {}
    notes = {
        note.appointment_id: note
        for note in SessionNote.objects.filter(appointment_id__in=[a.pk for a in sessions])
        .annotate(visible=ExpressionWrapper(_visible_q(user=user), output_field=BooleanField()))
        .only("id", "appointment_id", "patient_id", "author_id", "cosigner_id", "status")
    }
    now = clock.now()
    links = {}
    for appointment in sessions:
        note = notes.get(appointment.pk)
        if note is None:
            due = appointment.status in NOTE_NEEDED_STATUSES and appointment.start <= now
            if due and user.has_perm("notes.add_note", appointment):
                url = reverse("notes:session", args=[appointment.pk])
                links[appointment.pk] = NoteLink(state="none", label="Write note", url=url)
            continue
        if not note.visible:
            continue
        url = reverse("notes:detail", args=[note.pk])
        if note.status == NoteStatus.DRAFT and user.has_perm("notes.change_note", note):
            links[appointment.pk] = NoteLink(state="draft", label="Continue note", url=url)
        else:
            links[appointment.pk] = NoteLink(state=note.status, label="View note", url=url)
    return links


def _log(user, action: str, subject, *, patient_id: int | None, allowed: bool = True, detail=None) -> None:
    access_log_write(actor=user, action=action, subject=subject, patient_id=patient_id, allowed=allowed, detail=detail)


def _permitted(user, obj, *, perm: str, action: str, what: str):
    """`obj` if `user` holds `perm` on it; NotFound for a missing or refused one alike, a refusal logged."""
    if obj is None:
        raise NotFound(f"No such {what}.")
    if not user.has_perm(perm, obj):
        _log(user, action, obj, patient_id=obj.patient_id, allowed=False)
        raise NotFound(f"No such {what}.")
    return obj


def clinical_chart_open(*, user, patient_id, perm: str = "notes.view_clinical_chart") -> Patient:
    """The patient whose clinical chart `user` reads. The chart page and its data feed both open it here, so each
    read writes one `clinical_chart_view` row (the chart shows note states, pain and measure scores, not note
    text). The data feed asks for the psychotherapy record's `perm`: the check comes before the row, so a refused
    read is logged as refused and never as viewed."""
    patient = patient_get_for(user=user, patient_id=patient_id, perm=perm, action="clinical_chart_view")
    _log(user, "clinical_chart_view", patient, patient_id=patient.pk)
    return patient


def note_get_for(*, user, note_id, perm: str = "notes.view_note", action: str = "note_view") -> SessionNote:
    """The note if the user holds `perm` on it; a denied attempt is logged and answers like a missing note."""
    note = (
        SessionNote.objects.select_related(
            "appointment__service_type", "patient", "author", "template", "cosigner", "signed_by"
        )
        .filter(pk=note_id)
        .first()
    )
    return _permitted(user, note, perm=perm, action=action, what="note")


def note_get_for_action(*, user, note_id, perm: str, action: str) -> SessionNote:
    """The note for an action: NotFound (logged) if the user may not see it, PermissionDenied (logged) if they may
    see it but not do this."""
    note = note_get_for(user=user, note_id=note_id, action=action)
    if not user.has_perm(perm, note):
        _log(user, action, note, patient_id=note.patient_id, allowed=False)
        raise PermissionDenied("You may not do that with this note.")
    return note


def note_open(*, user, note_id, action: str = "note_view") -> OpenedNote:
    """Decrypt a note and its addenda for someone allowed to read it; one access-log row per read (a
    psychotherapist's read of a bodywork note too)."""
    note = note_get_for(user=user, note_id=note_id, action=action)
    return note_read(user=user, note=note, action=action)


def note_open_signed(*, user, note: SessionNote) -> OpenedNote:
    """`note_open` for the note `user` has just signed (note_sign's row, with its session), without reading it again:
    the same permission check and access-log row. A draft has no addenda and none can be added while the signature
    holds the note's lock, so it has none yet."""
    note = _permitted(user, note, perm="notes.view_note", action="note_view", what="note")
    return note_read(user=user, note=note, addenda=[])


def note_read(*, user, note: SessionNote, action: str = "note_view", addenda: list | None = None) -> OpenedNote:
    """Decrypt an already permission-checked note; writes the access-log row. `addenda`: the note's addenda when
    they are known already (none for a note signed in this transaction), else they are read."""
    if addenda is None:
        addenda = list(note.addenda.select_related("author"))
    _log(user, action, note, patient_id=note.patient_id)
    return OpenedNote(
        note=note,
        content=decrypt_json(note.content_encrypted),
        addenda=[(addendum, decrypt_text(addendum.content_encrypted)) for addendum in addenda],
    )


def sessions_needing_notes(*, therapist) -> QuerySet[Appointment]:
    """The therapist's individual sessions that have started and have no signed note yet, oldest first."""
    signed = SessionNote.objects.filter(appointment_id=OuterRef("pk"), status=NoteStatus.SIGNED)
    return (
        Appointment.objects.filter(
            therapist=therapist,
            patient__isnull=False,
            status__in=NOTE_NEEDED_STATUSES,
            start__lte=clock.now(),
        )
        .exclude(Exists(signed))
        .select_related("patient", "service_type", "session_note")
        .order_by("start")
    )


@dataclass(frozen=True)
class UnsignedCounts:
    unsigned: int
    overdue: int


def unsigned_note_counts(*, therapist) -> UnsignedCounts:
    """How many of the therapist's sessions wait for a signed note, and how many of those are overdue, in one
    query: the counts of the unsigned-notes page (`sessions_needing_notes`, `is_overdue`) without its rows."""
    counts = sessions_needing_notes(therapist=therapist).aggregate(
        unsigned=Count("pk"), overdue=Count("pk", filter=Q(end__lte=overdue_cutoff()))
    )
    return UnsignedCounts(**counts)


def overdue_counts_by_therapist() -> QuerySet:
    """(therapist id, number of sessions with a note still unsigned 72 hours after the session)."""
    signed = SessionNote.objects.filter(appointment_id=OuterRef("pk"), status=NoteStatus.SIGNED)
    return (
        Appointment.objects.filter(patient__isnull=False, status__in=NOTE_NEEDED_STATUSES, end__lte=overdue_cutoff())
        .exclude(Exists(signed))
        .values("therapist")
        .annotate(count=Count("pk"))
        .order_by("therapist")
    )


def overdue_cutoff() -> dt.datetime:
    """Whatever has waited for a signature since this instant or earlier is overdue: a session's note since the
    session ended, a co-signature since the author signed. One grace for both, so both lists flag alike."""
    return clock.now() - UNSIGNED_GRACE


def is_overdue(appointment: Appointment) -> bool:
    return appointment.end <= overdue_cutoff()


def cosign_is_overdue(note: SessionNote) -> bool:
    return note.signed_at <= overdue_cutoff()


def note_cosigner_for(*, author):
    """The supervisor who must co-sign what `author` signs now: a pre-licensed therapist's, else nobody."""
    profile = getattr(author, "therapist_profile", None)
    return profile.supervisor if profile is not None and profile.is_prelicensed else None


def awaiting_cosign_by_q(supervisor) -> Q:
    """Signed notes still waiting for `supervisor`'s co-signature."""
    return Q(cosigner=supervisor, cosign_required=True, cosigned_at__isnull=True)


def notes_awaiting_cosign(*, supervisor) -> QuerySet[SessionNote]:
    """The notes waiting for `supervisor`'s co-signature, the oldest session first, as the unsigned queue lists."""
    return _note_list_base().filter(awaiting_cosign_by_q(supervisor)).order_by("appointment__start", "pk")


def notes_awaiting_cosign_of(*, author) -> QuerySet[SessionNote]:
    """The notes `author` signed that still wait for a co-signature, the longest waiting first, with who must give
    it: a pre-licensed therapist's view of what they handed on."""
    return (
        _note_list_base()
        .filter(author=author, cosign_required=True, cosigned_at__isnull=True)
        .order_by("signed_at", "pk")
    )


def cosigns_awaiting_count(*, supervisor) -> int:
    return SessionNote.objects.filter(awaiting_cosign_by_q(supervisor)).count()


def cosigner_leaving_refusal(*, user) -> str:
    """Why `user` cannot stop being able to co-sign now, with what to do about it (accounts asks before deactivating
    them, taking their therapist role or making them pre-licensed, and says it with its other reasons), or "": nobody
    else may co-sign the notes awaiting their co-signature, so those are handed to another supervisor first
    (services.note_cosigns_hand_over)."""
    count = cosigns_awaiting_count(supervisor=user)
    if not count:
        return ""
    name = user.full_name or user.email
    some = f"{count} signed note{'s await' if count != 1 else ' awaits'}"
    them = "them" if count != 1 else "it"
    return f"{some} {name}'s co-signature: hand {them} over to another supervisor on their staff page"


def cosign_successors(*, supervisor) -> QuerySet[User]:
    """Who may take over the notes awaiting `supervisor`'s co-signature, by name: whoever could supervise every one of
    their authors (accounts.selectors.supervisors_eligible, the list every supervisor field offers). The hand-over asks
    the whole rule again, under its lock (accounts.services.cosigner_check)."""
    authors = User.objects.filter(
        pk__in=SessionNote.objects.filter(awaiting_cosign_by_q(supervisor)).values("author")
    ).select_related("therapist_profile")
    if not authors:
        return User.objects.none()
    successors = User.objects.exclude(pk=supervisor.pk)
    for author in authors:  # a supervisor's supervisees: a handful
        eligible = supervisors_eligible(therapist=author, discipline=discipline_of(author))
        successors = successors.filter(pk__in=eligible.values("pk"))
    return successors.select_related("therapist_profile").order_by("last_name", "first_name", "pk")


def process_notes_of(*, author) -> QuerySet[PsychotherapyNote]:
    """Only ever the author's own process notes, and only while they are a psychotherapist; there is no selector
    that reads anyone else's."""
    if not is_psychotherapist(author):
        return PsychotherapyNote.objects.none()
    return PsychotherapyNote.objects.filter(author=author).defer("content_encrypted").select_related("patient")


def process_note_get_own(*, user, process_note_id, action: str = "process_note_view") -> PsychotherapyNote:
    """The user's own process note; anyone else's answers like a missing one, and the attempt is logged."""
    note = PsychotherapyNote.objects.filter(pk=process_note_id).first()
    if note is None:
        raise NotFound("No such process note.")
    if not user.has_perm("notes.view_process_note", note):
        _log(user, action, note, patient_id=note.patient_id, allowed=False)
        raise NotFound("No such process note.")
    return note


def process_note_open(*, user, process_note_id) -> tuple[PsychotherapyNote, str]:
    note = process_note_get_own(user=user, process_note_id=process_note_id)
    _log(user, "process_note_view", note, patient_id=note.patient_id)
    return note, decrypt_text(note.content_encrypted)


def note_session_get(*, user, appointment_id, action: str = "note_view") -> Appointment:
    """The session whose note `user` starts: only their own, with a patient. Anyone else's answers like a missing
    one and the refused attempt is logged under `action`, naming the session and never its note (whether there is
    one is not for the log to tell)."""
    appointment = Appointment.objects.select_related("patient", "service_type").filter(pk=appointment_id).first()
    if appointment is None or appointment.patient_id is None:
        raise NotFound("No such session of yours.")
    if appointment.therapist_id != user.pk:
        _log(user, action, appointment, patient_id=appointment.patient_id, allowed=False)
        raise NotFound("No such session of yours.")
    return appointment


def process_note_session_get(*, user, appointment_id, action: str = "process_note_view") -> Appointment:
    """The session whose process note `user` opens: only their own individual session, and only while they are a
    psychotherapist. Anyone else's answers like a missing one and the refused attempt is logged, naming the session
    (whether or not it has a process note: that is not for the log to tell either)."""
    appointment = Appointment.objects.select_related("patient", "service_type").filter(pk=appointment_id).first()
    if appointment is None or appointment.patient_id is None:
        raise NotFound("No such session of yours.")
    if appointment.therapist_id != user.pk or not user.has_perm("notes.add_process_note"):
        _log(user, action, appointment, patient_id=appointment.patient_id, allowed=False)
        raise NotFound("No such session of yours.")
    return appointment


def process_note_for_appointment(*, user, appointment) -> tuple[PsychotherapyNote | None, str]:
    """The user's own process note for a session, decrypted (logged) if there is one."""
    note = PsychotherapyNote.objects.filter(author=user, appointment=appointment).first()
    if note is None or not user.has_perm("notes.view_process_note", note):
        return None, ""
    _log(user, "process_note_view", note, patient_id=note.patient_id)
    return note, decrypt_text(note.content_encrypted)


def patient_sessions_with_notes(*, user, patient) -> QuerySet[Appointment]:
    """A patient's sessions that have started, newest first, each with the note the user may see (if any)."""
    # The chart shows a note's template, state and addenda: joining its session, patient and authors as the note
    # lists do made planning the query take ten times as long as running it. Only the columns the rows show are
    # read: a long history's rows otherwise each carry the template's field definitions (decoded from JSON on every
    # row), the attestations and the therapist's whole account.
    visible = (
        notes_visible_to(user=user)
        .filter(patient=patient)
        .select_related(None)
        .select_related("template")
        .only("appointment", "status", "cosign_required", "cosigned_at", "template__name")
    )
    return (
        Appointment.objects.filter(patient=patient, start__lte=clock.now())
        .select_related("service_type", "therapist")
        .only(
            "start",
            "status",
            "location",
            "therapist__first_name",
            "therapist__last_name",
            "service_type__name",
            "service_type__code",
        )
        .prefetch_related(Prefetch("session_note", queryset=visible, to_attr="visible_note"))
        .order_by("-start", "-pk")
    )


def patient_sessions_page(*, user, patient, number) -> Page:
    """Page `number` (as the chart's address gives it) of the patient's sessions that have started, newest first,
    with their notes, and how many there are in all, in one query and the notes' prefetch."""
    sessions = patient_sessions_with_notes(user=user, patient=patient)
    return page_read(sessions, per_page=CHART_SESSIONS_PER_PAGE, number=number)


def notes_for_export(*, patient) -> QuerySet[SessionNote]:
    """Signed notes of a patient with their addenda, oldest first, for a records request."""
    return (
        SessionNote.objects.filter(patient=patient, status=NoteStatus.SIGNED)
        .select_related("appointment__service_type", "author", "template", "signed_by", "cosigned_by")
        .prefetch_related(Prefetch("addenda", queryset=Addendum.objects.select_related("author")))
        .order_by("appointment__start")
    )


def handover_refusal(*, appointments, therapist) -> str | None:
    """A session whose note its therapist has started stays with them: handed to a colleague, the note could be
    neither signed by its author nor written by the colleague (scheduling asks before moving sessions)."""
    note = (
        SessionNote.objects.filter(appointment__in=appointments)
        .exclude(author=therapist)
        .select_related("author", "appointment__location")
        .order_by("appointment__start")
        .first()
    )
    if note is None:
        return None
    day = date_format(note.appointment.local_start.date(), "D M j")
    return (
        f"{note.author.full_name} has started the note for the session on {day}; a session with a note stays with "
        "the therapist who writes it."
    )


def discipline_change_refusal(*, therapist, discipline: str) -> str:
    """A therapist who has written notes, process notes or plans, or must co-sign a note, keeps their discipline:
    it decides what they read (a bodywork provider reads none of their own psychotherapy notes, a psychotherapist
    reads the signed notes of everyone who treats their patients), so changing it would change who may read notes
    already written (accounts asks before changing one)."""
    written = (
        SessionNote.objects.filter(Q(author=therapist) | Q(cosigner=therapist)).count()
        + PsychotherapyNote.objects.filter(author=therapist).count()
        + TreatmentPlan.objects.filter(author=therapist).count()
    )
    if not written:
        return ""
    name, wanted = therapist.full_name or therapist.email, Discipline(discipline).label.lower()
    return (
        f"{name} has written or co-signs {written} note{'s' if written != 1 else ''} or plan"
        f"{'s' if written != 1 else ''}: changing their discipline to {wanted} would change who may read them. Keep "
        f"their discipline, and give them a second account if they also practice {wanted}."
    )


def pain_series(*, user, patient) -> list[dict]:
    """Pain intensity over time from the patient's notes the reader may see (stored beside the encrypted text):
    signed notes, and the reader's own drafts, never a colleague's draft. Shown only to the patient's
    psychotherapists (`notes.view_psychotherapy_record`)."""
    rows = (
        SessionNote.objects.filter(_visible_q(user=user), patient=patient)
        .exclude(pain_now__isnull=True, pain_worst__isnull=True)
        .order_by("appointment__start")
        .values("appointment__start", "pain_now", "pain_worst")
    )
    return [
        {"at": row["appointment__start"].isoformat(), "now": row["pain_now"], "worst": row["pain_worst"]}
        for row in rows
    ]
