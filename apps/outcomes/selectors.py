"""Reads of questionnaires, scores and journal entries. Journal text is only returned by
journal_entry_open, which checks the rule and writes the access-log row."""

import datetime as dt

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import decrypt_text
from apps.core.errors import ApplicationError, NotFound
from apps.core.request_memo import memo_read
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.selectors import starting_on_local_days

from .instruments import INSTRUMENTS
from .models import OPEN_FLAG, AssignmentStatus, JournalEntry, QuestionnaireAssignment, QuestionnaireResponse

# A questionnaire asked "before" a session that will not take place is no longer wanted.
SESSION_CALLED_OFF = [AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED]


def _assignments_open() -> QuerySet[QuestionnaireAssignment]:
    """Questionnaires sent and not answered yet, while they can still be answered and their session (if any) is
    still on."""
    return QuestionnaireAssignment.objects.filter(status=AssignmentStatus.PENDING, expires_at__gt=clock.now()).exclude(
        appointment__status__in=SESSION_CALLED_OFF
    )


def assignments_asked(*, patient) -> QuerySet[QuestionnaireAssignment]:
    """Questionnaires the patient was asked and answered, or can still answer: what "when was this last asked"
    counts. One that expired unanswered, or whose session was called off, asked them nothing."""
    return QuestionnaireAssignment.objects.filter(patient=patient).filter(
        Q(status=AssignmentStatus.COMPLETED) | Q(pk__in=_assignments_open().values("pk"))
    )


def assignments_pending(*, patient) -> QuerySet[QuestionnaireAssignment]:
    # With its session: the portal's list says which session each is for, at that session's time.
    return _assignments_open().filter(patient=patient).select_related("appointment").order_by("due_at", "id")


def assignment_answered(*, patient, pk) -> QuestionnaireAssignment | None:
    """The patient's own questionnaire `pk`, if they have answered it, with its answers' time (`response`); None for
    another patient's or one not answered."""
    return (
        QuestionnaireAssignment.objects.filter(patient=patient, pk=pk, status=AssignmentStatus.COMPLETED)
        .select_related("response")
        .first()
    )


def with_questionnaires_waiting(rows: QuerySet, *, patient_ref: str = "patient_id") -> QuerySet:
    """Rows that belong to a patient annotated with `questionnaires_waiting`: how many questionnaires the patient
    has been sent and not answered yet (still open, as `assignments_pending` lists them), in the rows' own query.
    A count only: which questionnaires is clinical, and the front desk sees this. `patient_ref` names the outer
    row's patient id: "patient_id" on rows that belong to a patient, "pk" on patients."""
    waiting = (
        _assignments_open()
        .filter(patient_id=OuterRef(patient_ref))
        .order_by()
        .values("patient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rows.annotate(questionnaires_waiting=Coalesce(Subquery(waiting), 0))


def responses_of(*, patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient).order_by("submitted_at", "id")


def patient_responses_shown(*, patient) -> list[QuestionnaireResponse]:
    """`responses_of` as a list, read once per request: the chart's trends, its flags to review and its plan's
    progress show the same answers. For pages; a service reads its own."""
    return memo_read(
        f"outcomes.responses:{patient.pk}",
        lambda: list(
            responses_of(patient=patient).only(
                "instrument", "answers", "score", "severity", "flagged", "flag_reviewed_at", "submitted_at"
            )
        ),
    )


def responses_read(*, user, patient, instrument: str = "") -> QuerySet[QuestionnaireResponse]:
    """A patient's scored answers (of one instrument, if given) as `user` reads them: NotFound unless they may
    (`outcomes.view_measures`), and one `measures_view` row in the access log per read, allowed or refused."""
    if patient is None:
        raise NotFound("No such patient.")
    if not user.has_perm("outcomes.view_measures", patient):
        access_log_write(actor=user, action="measures_view", subject=patient, patient_id=patient.pk, allowed=False)
        raise NotFound("No such patient.")
    if instrument and instrument not in INSTRUMENTS:
        choices = f"Choose one of {', '.join(sorted(INSTRUMENTS))}."
        raise ApplicationError(f"Unknown instrument. {choices}", fields={"instrument": [choices]})
    access_log_write(actor=user, action="measures_view", subject=patient, patient_id=patient.pk)
    responses = responses_of(patient=patient)
    return responses.filter(instrument=instrument) if instrument else responses


def measure_series(*, patient) -> dict[str, dict]:
    """Scores over time per instrument, for charts: {code: {name, max, subscales, points: [{at, score, severity,
    severity_label, subscales}]}}. Bands carry their published names ("Moderately severe"), never only the code."""
    series = {
        code: {
            "name": instrument.name,
            "max": instrument.max_score,
            "subscales": {key: label for key, label, _items in instrument.subscales},
            "points": [],
        }
        for code, instrument in INSTRUMENTS.items()
    }
    for response in patient_responses_shown(patient=patient):
        instrument = INSTRUMENTS[response.instrument]
        series[response.instrument]["points"].append(
            {
                "at": response.submitted_at.isoformat(),
                "score": response.score,
                "severity": response.severity,
                "severity_label": instrument.band_label(response.severity),
                "subscales": instrument.subscale_scores(response.answers),
            }
        )
    return series


def responses_to_sessions(*, patient_ids, session_ids, instruments) -> QuerySet[QuestionnaireResponse]:
    """Answers these patients gave to questionnaires asked for these sessions (e.g. a group's first and last
    meeting), with the session each was asked for as `session_id`. Responses given outside those assignments
    are not included."""
    return (
        QuestionnaireResponse.objects.filter(
            patient_id__in=patient_ids,
            instrument__in=instruments,
            assignment__appointment_id__in=session_ids,
            assignment__patient_id=F("patient_id"),
        )
        .annotate(session_id=F("assignment__appointment_id"))
        .order_by("submitted_at", "id")
    )


def open_flags(*, patient) -> list[QuestionnaireResponse]:
    """The patient's flagged answers nobody has reviewed yet, oldest first, from the answers the page read."""
    return [response for response in patient_responses_shown(patient=patient) if response.flag_open]


def patients_with_open_flags() -> QuerySet:
    """The ids of patients with a flagged answer nobody has reviewed yet (a subquery)."""
    return QuestionnaireResponse.objects.filter(OPEN_FLAG).values("patient_id")


def appointments_needing_questionnaires(*, day: dt.date) -> QuerySet[Appointment]:
    """Booked individual sessions on a local date (each at its own office: an evening session in Pasadena is that
    day's) whose patient has a portal account."""
    sessions = starting_on_local_days(Appointment.objects.all(), first=day, days=1, location=None)
    return sessions.filter(
        status=AppointmentStatus.BOOKED,
        patient__isnull=False,
        patient__user__isnull=False,
        patient__user__is_active=True,
    ).select_related("patient", "therapist")


def flag_get_for(*, user, response_id) -> QuestionnaireResponse:
    """A flagged answer `user` may review (its page and the API both open it here). A missing one, or one refused,
    answers NotFound alike; a refusal writes one refused `measure_flag_review` row naming the answer, no score."""
    response = QuestionnaireResponse.objects.select_related("patient").filter(pk=response_id).first()
    if response is None:
        raise NotFound("No such response.")
    if not user.has_perm("outcomes.review_flag", response):
        access_log_write(
            actor=user, action="measure_flag_review", subject=response, patient_id=response.patient_id, allowed=False
        )
        raise NotFound("No such response.")
    return response


def journal_entries_of(*, patient) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(patient=patient).defer("content_encrypted")


def journal_entries_shared(*, patient) -> QuerySet[JournalEntry]:
    return journal_entries_of(patient=patient).filter(shared_at__isnull=False)


def journal_entry_get_for(*, user, entry_id, perm: str = "outcomes.view_journal_entry") -> JournalEntry:
    entry = JournalEntry.objects.select_related("patient").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("No such journal entry.")
    if not user.has_perm(perm, entry):
        access_log_write(actor=user, action="journal_view", subject=entry, patient_id=entry.patient_id, allowed=False)
        raise NotFound("No such journal entry.")
    return entry


def journal_entry_open(*, user, entry_id) -> tuple[JournalEntry, str]:
    return journal_entry_read(user=user, entry=journal_entry_get_for(user=user, entry_id=entry_id))


def journal_entry_read(*, user, entry: JournalEntry) -> tuple[JournalEntry, str]:
    """Decrypt an entry `journal_entry_get_for` gave `user`; writes the access-log row."""
    access_log_write(actor=user, action="journal_view", subject=entry, patient_id=entry.patient_id)
    return entry, decrypt_text(entry.content_encrypted)
