"""Writes for outcome measures and the patient's journal."""

import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, QuerySet
from django.urls import reverse

from apps.core import clock
from apps.core.encryption import encrypt_text
from apps.core.errors import InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.notifications.models import Channel
from apps.notifications.outbox import message_build, message_enqueue, messages_enqueue, patient_notice_enqueue
from apps.notifications.selectors import recipients_told
from apps.patients.selectors import treating_psychotherapist_pairs, treating_psychotherapists
from apps.scheduling.reminders import reader_zone_context

from .instruments import GAD7, INSTRUMENTS, PAIN_NRS, PCS, PHQ9, PHQ15
from .models import OPEN_FLAG, AssignmentStatus, JournalEntry, QuestionnaireAssignment, QuestionnaireResponse
from .selectors import assignments_asked

# Pain is rated before every session; PHQ-9 and GAD-7 ask about the last two weeks and PHQ-15 about the last four,
# so each is sent again only when the last one is at least that old (a day early, so a weekly session on the same
# weekday still gets it). The last one is the last answered or still open (`assignments_asked`): one that expired
# unanswered, or was asked for a session called off, asked nothing. The pain catastrophizing scale goes with PHQ-15:
# both follow the pain's meaning, not its level, and move over weeks.
EVERY_SESSION = (PAIN_NRS.code,)
REPEAT_AFTER = {
    PHQ9.code: dt.timedelta(days=13),
    GAD7.code: dt.timedelta(days=13),
    PHQ15.code: dt.timedelta(days=27),
    PCS.code: dt.timedelta(days=27),
}
JOURNAL_MAX_LENGTH = 20000


def _due_instruments(*, patient, now: dt.datetime) -> list[str]:
    last_asked = dict(
        assignments_asked(patient=patient)
        .filter(instrument__in=REPEAT_AFTER)
        .values("instrument")
        .annotate(last=Max("created_at"))
        .values_list("instrument", "last")
    )
    return [
        *EVERY_SESSION,
        *(code for code, every in REPEAT_AFTER.items() if code not in last_asked or last_asked[code] <= now - every),
    ]


@transaction.atomic
def questionnaire_assign(
    *, patient, instrument: str, due_at: dt.datetime, source_meeting=None, expires_at=None, actor=None
) -> tuple[QuestionnaireAssignment, bool]:
    """Ask one patient to answer one questionnaire by `due_at`, for a session or on its own.

    `source_meeting` is the appointment it is asked for: the patient's own session, or a group meeting the patient
    is a member of (each member gets their own assignment). Answers are taken until `expires_at` (default: the end
    of that session, or `due_at`). Idempotent per patient, session and questionnaire: returns (assignment, created);
    asked again after the session moved, an unanswered assignment takes the new times.
    `actor` is the staff member asking, or None for the clinic's scheduled jobs.
    """
    if instrument not in INSTRUMENTS:
        raise Unprocessable(f"Unknown questionnaire: {instrument}.", fields={"instrument": ["Unknown."]})
    if actor is not None and not actor.has_perm("outcomes.assign_questionnaire", patient):
        raise PermissionDenied("Only the patient's clinicians ask for questionnaires.")
    if source_meeting is not None and source_meeting.patient_id not in (None, patient.pk):
        raise Unprocessable("This session belongs to another patient.", fields={"source_meeting": ["Not theirs."]})
    if expires_at is None:
        expires_at = source_meeting.end if source_meeting is not None else due_at
    if expires_at < due_at:
        raise Unprocessable("A questionnaire cannot close before it is due.", fields={"expires_at": ["Too early."]})
    fields = {"due_at": due_at, "expires_at": expires_at}
    if source_meeting is None:
        return QuestionnaireAssignment.objects.create(patient=patient, instrument=instrument, **fields), True
    assignment, created = QuestionnaireAssignment.objects.get_or_create(
        patient=patient, appointment=source_meeting, instrument=instrument, defaults=fields
    )
    moved = (assignment.due_at, assignment.expires_at) != (due_at, expires_at)
    if moved and not created and assignment.status == AssignmentStatus.PENDING:
        # The session moved: the questionnaire still waiting for answers moves with it.
        assignment.due_at, assignment.expires_at = due_at, expires_at
        assignment.save(update_fields=["due_at", "expires_at", "updated_at"])
    return assignment, created


def questionnaires_due_notify(*, patient, session, count: int, dedupe_key: str):
    """Email the patient (if they take reminder emails) that `count` questionnaires wait before `session`.

    Queued once per dedupe key. Carries only the time and a portal link, never a question or a score.
    """
    if not count or not patient.reminder_email:
        return []
    return patient_notice_enqueue(
        patient=patient,
        subject=session,
        template="questionnaire_due",
        key=dedupe_key,
        email_only=True,
        context={
            "start": session.start.isoformat(),
            "time_zone": session.zone.key,  # told on its office's clock, as its reminder tells it
            **reader_zone_context(patient),
            "count": count,
            "portal_url": absolute_url(reverse("portal:questionnaires")),
        },
    )


@transaction.atomic
def questionnaires_send_for_appointment(*, appointment) -> list[QuestionnaireAssignment]:
    """Ask the patient to answer the due questionnaires before this session; one email per session.

    Idempotent: an instrument is assigned once per session and the email has a dedupe key.
    """
    patient = appointment.patient
    created = []
    for code in _due_instruments(patient=patient, now=clock.now()):
        assignment, was_created = questionnaire_assign(
            patient=patient, instrument=code, due_at=appointment.start, source_meeting=appointment
        )
        if was_created:
            created.append(assignment)
    questionnaires_due_notify(
        patient=patient,
        session=appointment,
        count=len(created),
        dedupe_key=f"appointment:{appointment.pk}:questionnaire_due",
    )
    return created


@transaction.atomic
def questionnaire_answer(*, actor, assignment: QuestionnaireAssignment, answers) -> QuestionnaireResponse:
    """Score and store a patient's answers. PHQ-9 item 9 above zero flags it for review by the patient's
    psychotherapists, who are told (by a message carrying only a link) to look at it (`risk_answer_notify`)."""
    assignment = QuestionnaireAssignment.objects.select_for_update().select_related("patient").get(pk=assignment.pk)
    if not actor.has_perm("outcomes.answer_questionnaire", assignment):
        raise NotFound("No such questionnaire.")
    if assignment.status != AssignmentStatus.PENDING:
        raise InvalidTransition("This questionnaire has already been answered.")
    now = clock.now()
    if assignment.expires_at <= now:
        raise InvalidTransition("This questionnaire has closed.")
    instrument = INSTRUMENTS[assignment.instrument]
    score = instrument.score(answers)
    response = QuestionnaireResponse.objects.create(
        patient=assignment.patient,
        instrument=instrument.code,
        assignment=assignment,
        answers=list(answers),
        score=score.total,
        severity=score.severity,
        flagged=score.flagged,
        submitted_at=now,
    )
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = now
    assignment.save(update_fields=["status", "completed_at", "updated_at"])
    if score.flagged:
        risk_answer_notify(patient=response.patient, subject=response, perm="outcomes.review_flag", now=now)
    return response


def risk_answer_notify(*, patient, subject, perm: str, now: dt.datetime) -> list:
    """Tell every psychotherapist treating `patient` who may review `subject` (by `perm`) that an answer of the
    patient's needs their prompt review: one email each, carrying the patient's initials and a chart link only, never
    the answer, queued once per subject and clinician. Returns who was told. Nobody is told when no psychotherapist
    treats the patient (a group member with no therapist of their own): the answer then waits on the front desk's
    list of patients with an answer and no clinician, until one treats them (set as their primary therapist, or a
    session booked with them), who is then told (`open_flags_notify`, and `risk_answers_sweep` for a notice lost or
    a clinician made treating by an account change)."""
    told = recipients_told(subjects=[subject], purpose="measure_flag")
    reviewers = [t for t in treating_psychotherapists(patient=patient) if t.has_perm(perm, subject)]
    for reviewer in reviewers:
        if (str(subject.pk), reviewer.pk) in told:
            continue  # told under the key releases before per-clinician keys wrote
        message_enqueue(**_risk_answer_message(patient=patient, subject=subject, reviewer=reviewer, now=now))
    return reviewers


def _risk_answer_message(*, patient, subject, reviewer, now: dt.datetime) -> dict:
    """The `measure_flag` email telling `reviewer` of `subject`, keyed once per answer and clinician: what
    `risk_answer_notify` and `risk_answers_sweep` queue, so neither tells anyone twice."""
    return {
        "channel": Channel.EMAIL,
        "to_address": reviewer.email,
        "purpose": "measure_flag",
        "template": "measure_flag",
        "subject": subject,
        "send_at": now,
        "dedupe_key": f"{subject._meta.label_lower}:{subject.pk}:measure_flag:{reviewer.pk}",
        "recipient_user": reviewer,
        "context": {
            "patient_initials": patient.initials,
            "chart_url": absolute_url(reverse("notes:chart", args=[patient.pk])),
        },
    }


@transaction.atomic
def risk_answers_sweep(*, answers: QuerySet) -> int:
    """Tell each psychotherapist treating a patient now of each of `answers` (flagged answers nobody has reviewed,
    rows with a `patient`) they have not been told of: the same email, under the same key, as `risk_answer_notify`.
    This catches what the after-commit telling (`open_flags_notify`) missed: a process that died right after the
    commit, or a psychotherapist who came to treat the patient by an account change (reactivated, or their
    discipline changed to psychotherapy). A fixed number of queries whatever the number of patients. Returns how
    many were told."""
    answers = list(answers.select_related("patient"))
    by_patient: dict[int, list[int]] = defaultdict(list)
    for patient_id, reviewer_id in treating_psychotherapist_pairs(patient_ids={a.patient_id for a in answers}):
        by_patient[patient_id].append(reviewer_id)
    due = [(answer, reviewer_id) for answer in answers for reviewer_id in by_patient[answer.patient_id]]
    if not due:
        return 0
    reviewers = get_user_model().objects.in_bulk({reviewer_id for _, reviewer_id in due})
    now = clock.now()
    fields = [
        _risk_answer_message(patient=answer.patient, subject=answer, reviewer=reviewers[reviewer_id], now=now)
        for answer, reviewer_id in due
    ]
    # Told already: by a message of this key, or of the key releases before per-clinician keys wrote (one per answer).
    told = recipients_told(subjects=answers, purpose="measure_flag")
    messages = [message_build(**f) for f in fields if (str(f["subject"].pk), f["recipient_user"].pk) not in told]
    messages_enqueue(messages=messages)
    return len(messages)


def open_flags_sweep() -> int:
    """Tell the psychotherapists treating each patient of every flagged PHQ-9 answer nobody has reviewed that they
    were not told of (`risk_answers_sweep`; beat, every 10 minutes)."""
    return risk_answers_sweep(answers=_flags_open())


def _flags_open() -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(OPEN_FLAG)


def open_flags_notify(*, patient_id: int) -> None:
    """Tell the psychotherapists treating the patient now of each flagged answer nobody has reviewed yet: one given
    while nobody could review it (no psychotherapist treated the patient) reaches the first who does. Who was told
    already is not told again (`risk_answers_sweep` queues once per answer and clinician). Called once a change that
    may have given the patient a new treating therapist has committed (patients.extensions.treating_changed)."""
    risk_answers_sweep(answers=_flags_open().filter(patient_id=patient_id))


@transaction.atomic
def flag_review(*, actor, response: QuestionnaireResponse) -> QuestionnaireResponse:
    response = QuestionnaireResponse.objects.select_for_update().select_related("patient").get(pk=response.pk)
    if not actor.has_perm("outcomes.review_flag", response):
        raise PermissionDenied("Only the patient's therapist reviews this.")
    if not response.flagged or response.flag_reviewed_at is not None:
        raise InvalidTransition("Nothing to review here.")
    response.flag_reviewed_at = clock.now()
    response.flag_reviewed_by = actor
    response.save(update_fields=["flag_reviewed_at", "flag_reviewed_by"])
    return response


def _journal_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Unprocessable("Write something first.", fields={"text": ["This field is required."]})
    if len(text) > JOURNAL_MAX_LENGTH:
        raise Unprocessable(
            "That entry is too long.", fields={"text": [f"Keep it under {JOURNAL_MAX_LENGTH} characters."]}
        )
    return text


@transaction.atomic
def journal_entry_create(*, actor, patient, text: str, share: bool = False) -> JournalEntry:
    if not actor.has_perm("outcomes.keep_journal") or patient.user_id != actor.pk:
        raise PermissionDenied("Only the patient keeps their journal.")
    return JournalEntry.objects.create(
        patient=patient, content_encrypted=encrypt_text(_journal_text(text)), shared_at=clock.now() if share else None
    )


def _own_entry(actor, entry: JournalEntry) -> JournalEntry:
    entry = JournalEntry.objects.select_for_update().select_related("patient").filter(pk=entry.pk).first()
    if entry is None or not actor.has_perm("outcomes.change_journal_entry", entry):
        raise NotFound("No such journal entry.")
    return entry


@transaction.atomic
def journal_entry_update(*, actor, entry: JournalEntry, text: str, shared: bool | None = None) -> JournalEntry:
    """Rewrite an entry and, when `shared` is given, share or unshare it in the same transaction."""
    entry = _own_entry(actor, entry)
    entry.content_encrypted = encrypt_text(_journal_text(text))
    if shared is not None:
        _set_shared(entry, shared)
    entry.save(update_fields=["content_encrypted", "shared_at", "updated_at"])
    return entry


@transaction.atomic
def journal_entry_share(*, actor, entry: JournalEntry, shared: bool) -> JournalEntry:
    """Share an entry with the patient's therapist, or take it back."""
    entry = _own_entry(actor, entry)
    _set_shared(entry, shared)
    entry.save(update_fields=["shared_at", "updated_at"])
    return entry


def _set_shared(entry: JournalEntry, shared: bool) -> None:
    # Sharing again keeps the first share time: the therapist has seen the entry since then.
    if shared and entry.shared_at is None:
        entry.shared_at = clock.now()
    elif not shared:
        entry.shared_at = None


@transaction.atomic
def journal_entry_delete(*, actor, entry: JournalEntry) -> None:
    _own_entry(actor, entry).delete()
