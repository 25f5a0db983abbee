"""Reads of the care ladder: a patient's level and history, and what comes next for them.

`next_step` is the one rule for "what comes next": the portal's home card, the portal's ladder page and the API
all call it, so the patient is never told two different things.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import formats

from apps.accounts.models import User
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import decrypt_text
from apps.core.errors import PermissionDenied
from apps.core.json_rows import from_row, row_of
from apps.core.time_zones import patient_when_text, when_text, zone_or_none
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for
from apps.programs.models import EnrollmentStatus, ProgramKind
from apps.programs.place_in_line import place_in_line
from apps.programs.selectors import patient_enrollments_shown
from apps.scheduling.selectors import patient_next_session
from apps.waitlist.selectors import patient_slot_requests_live

from .models import LADDER, CareLevel, CareLevelMove, PatientCareLevel, rung

# What each rung means, in the words the portal uses with the patient.
RUNG_WORDS = {
    CareLevel.EDUCATION: "You are learning how the mind and body shape pain: reading, lectures and journaling, "
    "at your own pace.",
    CareLevel.LECTURE_SERIES: "You are attending a lecture series that walks through the approach step by step.",
    CareLevel.GROUP: "You are in a group program, working through the approach together with others.",
    CareLevel.INDIVIDUAL: "You meet one-to-one with your therapist for weekly sessions.",
    CareLevel.MAINTENANCE: "You have finished regular care. You can come back for a check-in whenever you need one.",
}
# Each rung's name as the portal says it; staff keep the model's labels.
PORTAL_RUNG_NAMES = {
    CareLevel.EDUCATION: "Learning about mind and body",
    CareLevel.LECTURE_SERIES: "Lecture series",
    CareLevel.GROUP: "Group program",
    CareLevel.INDIVIDUAL: "Weekly sessions with your therapist",
    CareLevel.MAINTENANCE: "Less frequent check-in sessions",
}
# The rung above, as the portal tells the patient what may come next: the last rung is a decision taken together,
# not a place to go.
PORTAL_NEXT_RUNG_WORDS = {
    **{level: f"{name}." for level, name in PORTAL_RUNG_NAMES.items()},
    CareLevel.MAINTENANCE: "When you and your therapist agree you're ready: less frequent check-in sessions.",
}
NOT_PLACED_WORDS = "Your therapist has not chosen a starting point with you yet."
SEE_PROGRAMS = "See your programs"
UPCOMING_MEETING_STATUSES = {"booked", "checked_in"}


@dataclass(frozen=True)
class NextStep:
    """Where the patient stands and the one concrete thing that comes next."""

    level: str  # "" when not placed
    level_label: str
    level_words: str
    since: dt.datetime | None
    next_level: str  # "" at the top of the ladder
    next_level_label: str
    step: str  # said to the patient
    step_on_chart: str  # the same step as staff read it about the patient
    step_url: str  # "" when the step is a conversation, not a page
    step_url_label: str  # the button's words, naming the page `step_url` opens
    level_name: str  # the rung as the portal names it
    next_level_words: str  # the rung above as the portal tells it; "" at the top


@dataclass(frozen=True)
class _Step:
    to_patient: str
    on_chart: str
    url: str = ""
    url_label: str = ""


def care_level_of(*, patient) -> PatientCareLevel | None:
    """The rung the patient stands on and since when (who moved them there is on the move, `care_ladder_read`)."""
    return PatientCareLevel.objects.filter(patient=patient).only("patient_id", "level", "since").first()


@dataclass(frozen=True)
class CareLadder:
    """The rung the patient stands on (None when not placed) and their moves, newest first."""

    current: PatientCareLevel | None
    moves: list[CareLevelMove]


def care_ladder_read(*, patient, reasons: bool = True) -> CareLadder:
    """The patient's rung and moves in one query, each move with its decrypted `reason` (None, and never
    decrypted, without `reasons`: for a reader who may not read them), for a page whose opening is already
    access-logged (the chart pages log one row per read)."""
    # The columns a move is shown with, and its mover's name: no whole account row per move, and no ciphertext for
    # a reader who may not read the reasons.
    columns = ("id", "patient", "from_level", "to_level", "moved_by", "moved_at")
    columns += ("content_encrypted",) if reasons else ()
    mover = row_of(User, "moved_by__", only=("id", "first_name", "last_name"))
    moves = CareLevelMove.objects.filter(patient=OuterRef("pk")).order_by("-moved_at", "-id")
    current = PatientCareLevel.objects.filter(patient=OuterRef("pk"))
    found = (
        Patient.objects.filter(pk=patient.pk)
        .values(
            level_row=Subquery(current.values(row=row_of(PatientCareLevel, only=("id", "patient", "level", "since")))),
            move_rows=ArraySubquery(moves.values(row=row_of(CareLevelMove, only=columns, moved_by=mover))),
        )
        .get()
    )
    history = [from_row(CareLevelMove, row) for row in found["move_rows"]]
    for move in history:
        move.reason = decrypt_text(move.content_encrypted) if reasons else None
    return CareLadder(
        current=from_row(PatientCareLevel, found["level_row"]) if found["level_row"] else None, moves=history
    )


def next_level(level: str) -> str:
    """The rung above `level` ("" means not placed: the bottom rung comes next); "" at the top."""
    if not level:
        return LADDER[0]
    place = rung(level)
    return LADDER[place + 1] if place + 1 < len(LADDER) else ""


@dataclass(frozen=True)
class _When:
    to_patient: str
    on_chart: str


def _when(moment: dt.datetime, patient, zone=None) -> _When:
    """On the clinic's clock, or a session's own (its location's): the patient, who may be anywhere, is told which
    clock (and theirs, when it reads another time); staff are told only a clock that is not the clinic's."""
    zone = zone or clock.clinic_tz()
    reader_zone = zone_or_none(patient.time_zone)
    return _When(
        patient_when_text(moment, zone=zone, reader_zone=reader_zone, day_format="l, F j"),
        when_text(moment, zone=zone, day_format="l, F j"),
    )


def _program_step(patient, enrollments) -> _Step | None:
    """An offered seat, the next meeting of a program the patient is in, or their place on a program's list (a
    running program's before a proposed program's interest list)."""
    programs = reverse("portal:programs:list")
    for enrollment in enrollments:
        if enrollment.status == EnrollmentStatus.OFFERED:
            title, deadline = enrollment.program.title, _when(enrollment.offer_expires_at, patient)
            return _Step(
                f"A seat in {title} is held for you until {deadline.to_patient}: accept it.",
                f"A seat in {title} is held for them until {deadline.on_chart}, not accepted yet.",
                programs,
                SEE_PROGRAMS,
            )
    now = clock.now()
    for enrollment in enrollments:
        if enrollment.status != EnrollmentStatus.ENROLLED:
            continue
        # Meetings come prefetched in order; the first one still ahead is the next.
        for meeting in enrollment.program.meetings.all():
            appointment = meeting.appointment
            if appointment.start > now and appointment.status in UPCOMING_MEETING_STATUSES:
                program = enrollment.program
                meeting_word = "lecture" if program.kind == ProgramKind.LECTURE else "meeting"
                when = _when(appointment.start, patient, appointment.zone)
                return _Step(
                    f"Your next {meeting_word} of {program.title} is {when.to_patient}.",
                    f"Next {meeting_word} of {program.title}: {when.on_chart}.",
                    programs,
                    SEE_PROGRAMS,
                )
    # Which list a place is on is the programs' one rule (`place_in_line`), as every other page tells it.
    waiting = [(e, place) for e in enrollments if (place := place_in_line(e)) is not None]
    # A place on the list of a program that runs comes before an interest list for one that may not.
    for enrollment, place in waiting:
        if not place.is_interest_list:
            rank, title = place.rank, enrollment.program.title
            return _Step(
                f"You are number {rank} on the list for {title}; we will offer you a seat as one opens.",
                f"Number {rank} on the waitlist for {title}: offered a seat as one opens.",
                programs,
                SEE_PROGRAMS,
            )
    for enrollment, place in waiting:
        program = enrollment.program
        if place.is_interest_list:
            decided = formats.date_format(program.decision_on, "F j")
            return _Step(
                f"You are on the interest list for {program.title}; the clinic decides by {decided} whether it runs.",
                f"On the interest list for {program.title}; the clinic decides by {decided} whether it runs.",
                programs,
                SEE_PROGRAMS,
            )
    return None


def _session_step(patient) -> _Step | None:
    session = patient_next_session(patient=patient)
    if session is None:
        return None
    when = _when(session.start, patient, session.zone)
    return _Step(
        f"Your next session is {when.to_patient}.",
        f"Next session: {when.on_chart}.",
        reverse("portal:sessions:list"),
        "See your sessions",
    )


def _slot_list_step(patient) -> _Step | None:
    if patient_slot_requests_live(patient=patient):
        return _Step(
            "You are on the list for a weekly individual time; we will offer you one as it opens.",
            "On the list for a weekly individual time: offered one as it opens.",
        )
    return None


def _conversation_step(level: str, following: str) -> _Step:
    if not level:
        return _Step(
            "Talk to your therapist about where to start: most people begin with reading and a lecture.",
            "Not placed yet: agree a starting point with them (most begin with reading and a lecture).",
        )
    if not following:
        return _Step(
            "If symptoms come back, contact the clinic to book a check-in.",
            "At the top of the ladder: a check-in if symptoms come back.",
        )
    if following == CareLevel.MAINTENANCE:
        return _Step(
            "Talk to your therapist about when regular sessions could give way to occasional check-ins.",
            "Discuss with them when regular sessions could give way to occasional check-ins.",
        )
    label = CareLevel(following).label.lower()
    return _Step(f"Talk to your therapist about moving on to {label}.", f"Discuss with them moving on to {label}.")


def next_step(*, patient, ladder: CareLadder | None = None) -> NextStep:
    """Where the patient stands and what comes next: a held seat first (it expires), then the next meeting of a
    program they are in, their next individual session, their place on a program's list or the individual-slot
    list, and otherwise a conversation with their therapist about the next rung. Said to the patient (`step`) and
    about them on the chart (`step_on_chart`), from the same finding. The rung is read here unless the page has
    read it already, with the moves (`ladder`)."""
    current = ladder.current if ladder is not None else care_level_of(patient=patient)
    level = current.level if current else ""
    following = next_level(level)
    enrollments = patient_enrollments_shown(patient=patient)
    step = (
        _program_step(patient, enrollments)
        or _session_step(patient)
        or _slot_list_step(patient)
        or _conversation_step(level, following)
    )
    return NextStep(
        level=level,
        level_label=CareLevel(level).label if level else "Not placed yet",
        level_words=RUNG_WORDS[level] if level else NOT_PLACED_WORDS,
        since=current.since if current else None,
        next_level=following,
        next_level_label=CareLevel(following).label if following else "",
        step=step.to_patient,
        step_on_chart=step.on_chart,
        step_url=step.url,
        step_url_label=step.url_label,
        level_name=PORTAL_RUNG_NAMES[level] if level else "Not placed yet",
        next_level_words=PORTAL_NEXT_RUNG_WORDS[following] if following else "",
    )


def care_level_reasons_shown(*, user, patient) -> bool:
    """Whether `user` reads why the patient moved: staff who coordinate care and the patient's psychotherapists,
    not a massage and bodywork provider treating them, nor the patient."""
    return user.has_perm("ladder.view_move_reasons", patient)


def care_level_history(*, user, patient) -> CareLadder:
    """The rung and the moves, read on their own (the API, the portal's path): reading the reasons is a read of
    clinical text, so it writes an access-log row. The reasons are None for a reader who may not read them."""
    ladder = care_ladder_read(patient=patient, reasons=care_level_reasons_shown(user=user, patient=patient))
    access_log_write(actor=user, action="care_level_history_view", subject=patient, patient_id=patient.pk)
    return ladder


def patient_for_ladder(*, user, patient_id) -> Patient:
    """The patient whose care level `user` reads or moves; a patient they may not see answers like a missing one
    (and the refusal is logged)."""
    return patient_get_for(user=user, patient_id=patient_id, perm="ladder.view_care_level", action="care_level_view")


def patient_to_move(*, user, patient_id) -> Patient:
    """The patient whose care level `user` moves (the move page and the API open them here): one they may not see
    answers like a missing one, one they see but may not move (a patient, their own; a massage and bodywork
    provider) answers PermissionDenied. Either refusal writes one refused row, the second as a refused
    `care_level_set` naming the patient."""
    patient = patient_for_ladder(user=user, patient_id=patient_id)
    if not user.has_perm("ladder.move_care_level", patient):
        access_log_write(actor=user, action="care_level_set", subject=patient, patient_id=patient.pk, allowed=False)
        raise PermissionDenied("You may not change this patient's care level.")
    return patient
