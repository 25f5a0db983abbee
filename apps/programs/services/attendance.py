"""Attendance at group meetings, and the charge for it."""

from django.db import transaction

from apps.billing.services.charges import charge_for_group_attendance
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.scheduling.models import BLOCKING_STATUSES

from ..models import Attendance, AttendanceStatus, Enrollment, GroupProgram, LectureFeeMode, ProgramMeeting
from ..selectors import members_at_q
from .seats import enrollment_lock, program_lock


def attendance_is_charged(*, program: GroupProgram, status: str) -> bool:
    if program.is_lecture and program.fee_mode != LectureFeeMode.SLIDING:
        return False  # a free lecture series: donations only
    return status == AttendanceStatus.ATTENDED or (status == AttendanceStatus.NO_SHOW and program.charge_no_shows)


def attendance_refusal(meeting: ProgramMeeting) -> str:
    """Why attendance cannot be taken for the meeting now, "" when it can: what the sheet and the program page ask
    before offering it, and what recording it checks."""
    if meeting.appointment.status not in BLOCKING_STATUSES:
        return "This meeting was cancelled."
    if clock.now() < meeting.appointment.start:
        return "Attendance is taken once the meeting has started."
    return ""


@transaction.atomic
def attendance_record(*, actor, meeting: ProgramMeeting, enrollment: Enrollment, status: str) -> Attendance:
    """Record whether a member came. Attended meetings, and no-shows when the program charges them, are charged
    once at the patient's sliding-scale group fee. A charged record cannot be turned into an uncharged one here:
    the ledger is corrected by billing with an adjustment."""
    if status not in AttendanceStatus.values:
        raise Unprocessable("Unknown attendance status.", fields={"status": [f"One of {AttendanceStatus.values}."]})
    meeting = ProgramMeeting.objects.select_related("program", "appointment__service_type").get(pk=meeting.pk)
    if enrollment.program_id != meeting.program_id:
        raise Unprocessable("This person is not in this meeting's program.", fields={"enrollment": ["Wrong program."]})
    appointment = meeting.appointment
    if refusal := attendance_refusal(meeting):
        raise InvalidTransition(refusal)
    # Program first, then the enrollment: the order a withdrawal racing this record takes its locks in.
    program_lock(meeting.program_id)
    enrollment = enrollment_lock(enrollment.pk)
    if not Enrollment.objects.filter(members_at_q(appointment), pk=enrollment.pk).exists():
        raise Unprocessable(
            "This person was not a member at the time of this meeting.", fields={"enrollment": ["Not a member then."]}
        )
    record = Attendance.objects.select_for_update().filter(meeting=meeting, enrollment=enrollment).first()
    program = meeting.program
    was_charged = record is not None and attendance_is_charged(program=program, status=record.status)
    if was_charged and not attendance_is_charged(program=program, status=status):
        raise Conflict(
            "This meeting was already charged. Ask billing to post an adjustment, then correct the attendance."
        )
    if record is None:
        record = Attendance(meeting=meeting, enrollment=enrollment)
    record.status = status
    record.recorded_by = actor
    record.save()
    # A patient (or a registration linked to a chart) is charged on their ledger at their sliding-scale class, under the
    # program's service (an education code for a lecture); a member of the public pays the clinic directly instead,
    # at the door or, by video, however they send it (a lecture payment staff record).
    payer = enrollment.billed_patient
    if payer is not None and attendance_is_charged(program=meeting.program, status=status):
        charge_for_group_attendance(patient=payer, meeting=appointment, actor=actor)
    return record


@transaction.atomic
def attendance_record_many(*, actor, meeting: ProgramMeeting, records: list[tuple[Enrollment, str]]) -> list:
    """A whole attendance sheet at once: every row is recorded, or none is."""
    ordered = sorted(records, key=lambda pair: pair[0].pk)  # lock enrollments in primary-key order
    return [attendance_record(actor=actor, meeting=meeting, enrollment=e, status=s) for e, s in ordered]
