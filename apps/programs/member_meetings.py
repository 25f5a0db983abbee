"""A member's own group meetings, and programs whose meetings clash with the ones a patient is already in.

Kept apart from `selectors.py`: these are the patient-side questions (my meetings; does this program meet when my
other one does, or when my own sessions are), read by the portal's session list, the records download, the two
enrol pages and the pages where a seat offer is accepted.
"""

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from apps.core import clock
from apps.core.time_zones import patient_when_text, when_text, zone_or_none
from apps.scheduling.models import BLOCKING_STATUSES, Appointment

from .models import LIVE_STATUSES, Attendance, Enrollment, EnrollmentStatus, GroupProgram, ProgramMeeting

UPCOMING_MEETING_STATUSES = ["booked", "checked_in"]


def member_meetings(*, patient) -> QuerySet[ProgramMeeting]:
    """Every meeting the patient was a member at, oldest first: enrolled before it ended, and not withdrawn before
    it began (the same membership rule attendance and charges use). Each carries `own_attendance`: the patient's
    attendance rows for it (none, or one). Two queries whatever the number of meetings."""
    enrollment = "program__enrollments__"
    member = Q(**{f"{enrollment}patient": patient, f"{enrollment}enrolled_at__lte": F("appointment__end")}) & (
        Q(**{f"{enrollment}status__in": [EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED]})
        | Q(**{f"{enrollment}status": EnrollmentStatus.WITHDRAWN, f"{enrollment}ended_at__gt": F("appointment__start")})
    )
    return (
        ProgramMeeting.objects.filter(member)
        .select_related(
            "program",
            "appointment__therapist",
            "appointment__room",
            "appointment__service_type",
            "appointment__location",
        )
        .prefetch_related(
            Prefetch(
                "attendance", queryset=Attendance.objects.filter(enrollment__patient=patient), to_attr="own_attendance"
            )
        )
        .distinct()
        .order_by("appointment__start", "pk")
    )


def member_meetings_upcoming(*, patient) -> list[ProgramMeeting]:
    """The patient's group meetings still to come (not cancelled), soonest first, for "Your sessions"."""
    return list(
        member_meetings(patient=patient).filter(
            appointment__end__gt=clock.now(), appointment__status__in=UPCOMING_MEETING_STATUSES
        )
    )


def program_clashes(*, patient, program: GroupProgram) -> list[ProgramMeeting]:
    """Coming meetings of `program` that overlap a coming meeting of the patient's other programs (enrolled, offered
    a seat or waitlisted), each once however many programs it meets over, soonest first. Each carries
    `clashes_with`: the other programs' meetings it overlaps, each with the patient's place there (`own_status`).
    A clash is allowed, since the patient may choose, but they and the front desk should know before they enrol.
    Two queries."""
    if patient is None:
        return []
    now = clock.now()
    theirs = Enrollment.objects.filter(patient=patient, status__in=LIVE_STATUSES).exclude(program=program)
    overlapping_new_meeting = ProgramMeeting.objects.filter(
        program=program,
        appointment__status__in=BLOCKING_STATUSES,
        appointment__start__lt=OuterRef("appointment__end"),
        appointment__end__gt=OuterRef("appointment__start"),
    )
    others = list(
        ProgramMeeting.objects.filter(
            Exists(overlapping_new_meeting),
            program_id__in=theirs.values("program_id"),
            appointment__status__in=BLOCKING_STATUSES,
            appointment__end__gt=now,
        )
        # The patient's place in that program (a seat, an offer, a place in line): the warning says which.
        .annotate(own_status=Subquery(theirs.filter(program=OuterRef("program_id")).values("status")[:1]))
        .select_related("program", "appointment")
        .order_by("appointment__start", "pk")
    )
    if not others:
        return []
    # The count the patient reads is of this program's meetings: one meeting over two other programs is one clash.
    clashing = []
    for meeting in _program_meetings_coming(program=program, now=now):
        start, end = meeting.appointment.start, meeting.appointment.end
        meeting.clashes_with = [o for o in others if o.appointment.start < end and o.appointment.end > start]
        if meeting.clashes_with:
            clashing.append(meeting)
    return clashing


def meetings_over_own_sessions(*, patient, program: GroupProgram) -> list[ProgramMeeting]:
    """Coming meetings of `program` that overlap one of the patient's own sessions (an individual session booked or
    checked in: a weekly therapy hour, say), soonest first. One query."""
    if patient is None:
        return []
    own_session = Appointment.objects.filter(
        patient=patient,
        status__in=BLOCKING_STATUSES,
        start__lt=OuterRef("appointment__end"),
        end__gt=OuterRef("appointment__start"),
    )
    return list(_program_meetings_coming(program=program, now=clock.now()).filter(Exists(own_session)))


def _program_meetings_coming(*, program: GroupProgram, now) -> QuerySet[ProgramMeeting]:
    """`program`'s meetings not yet over and not cancelled, soonest first."""
    return (
        ProgramMeeting.objects.filter(
            program=program, appointment__status__in=BLOCKING_STATUSES, appointment__end__gt=now
        )
        .select_related("appointment")
        .order_by("appointment__start", "pk")
    )


def _when(meeting_session, *, patient, addressing_patient: bool) -> str:
    """A meeting's time where it is held: for the patient, who may be anywhere, with its clock named (and theirs
    beside it when they set another); for staff on the clinic's clock, naming only another."""
    if addressing_patient:
        reader_zone = zone_or_none(patient.time_zone)
        return patient_when_text(
            meeting_session.start, zone=meeting_session.zone, reader_zone=reader_zone, day_format="l, F j"
        )
    return when_text(meeting_session.start, zone=meeting_session.zone, day_format="l, F j")


# Where the patient stands in the program a new one clashes with, said to them and said of them.
_PLACE = {
    EnrollmentStatus.ENROLLED: ("which you are already in", "which {name} is already in"),
    EnrollmentStatus.OFFERED: ("where a seat is being held for you", "where a seat is being held for {name}"),
    EnrollmentStatus.WAITLISTED: ("whose waitlist you are on", "whose waitlist {name} is on"),
}


def program_clash_warning(
    *, patient, program: GroupProgram, addressing_patient: bool, taking_offer: bool = False
) -> str | None:
    """The plain warning shown before enrolling, or before accepting a seat held for the patient (`taking_offer`),
    when `program` meets at the same time as another program of the patient's (one they are in, offered a seat in or
    waiting for, said as such) or as one of their own sessions, in the second person on the portal and in the third
    on the staff page. None when nothing clashes. Like enrolling, accepting is still allowed."""
    clashes = program_clashes(patient=patient, program=program)
    over_sessions = meetings_over_own_sessions(patient=patient, program=program)
    if not clashes and not over_sessions:
        return None
    place = {other.program.title: other.own_status for meeting in clashes for other in meeting.clashes_with}
    person = 0 if addressing_patient else 1
    met = [f"{title}, {_PLACE[place[title]][person].format(name=patient.display_name)}" for title in sorted(place)]
    if over_sessions:
        met.append("your own sessions" if addressing_patient else f"{patient.display_name}'s own sessions")
    # Each of this program's meetings counts once, whether it overlaps a program, a session or both.
    meetings = sorted({m.pk: m for m in [*clashes, *over_sessions]}.values(), key=lambda m: m.appointment.start)
    first = _when(meetings[0].appointment, patient=patient, addressing_patient=addressing_patient)
    overlap = f"first overlap: {first}"
    if len(meetings) > 1:
        overlap += f"; {len(meetings)} of its meetings overlap"
    sentence = f"{program.title} meets at the same time as {', and '.join(met)} ({overlap})."
    if not addressing_patient:
        return f"{sentence} You can still {'accept the seat for them' if taking_offer else 'enroll them'}."
    still = "You can still accept the seat" if taking_offer else "You can still enroll"
    if over_sessions or EnrollmentStatus.ENROLLED in place.values():
        return f"{sentence} {still}, but you cannot be at both."
    return f"{sentence} {still}; if you get a seat there too, you cannot be at both."
