"""What members are sent about meetings: the program's questionnaires and meeting reminders before them (run by
beat), word of a meeting cancelled (a reaction to the meeting's transition), of a meeting moved (scheduling's
`group_meetings_moved` hook, which knows the old time and place) and of a meeting's new video link when a member
left (a reaction to their enrollment's withdrawal)."""

import datetime as dt

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.notifications.models import Channel, Message, MessageStatus
from apps.notifications.outbox import messages_withdraw, patient_notice_enqueue, public_notice_enqueue
from apps.outcomes.services import questionnaire_assign, questionnaires_due_notify
from apps.scheduling.extensions import MovedSession
from apps.scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus, AppointmentTransition
from apps.scheduling.reminders import reader_zone_context, session_place_context
from apps.scheduling.services import telehealth_url_new

from .. import selectors
from ..models import Enrollment, EnrollmentStatus, EnrollmentTransition, ProgramMeeting
from ..registration_links import registration_manage_url
from .seats import program_url

# Members are asked for the program's questionnaires this long before its first and its last meeting. Baseline answers
# close when the first meeting ends; follow-up answers stay open for a week after the last.
OUTCOME_QUESTIONNAIRE_LEAD = dt.timedelta(hours=48)
FOLLOW_UP_ANSWER_DAYS = dt.timedelta(days=7)
# Members' meeting reminders (a registrant's is the lecture's email). Not "reminder_*": replying C to confirm is for
# individual sessions.
MEMBER_REMINDER_PURPOSES = ("group_reminder_email", "group_reminder_sms")
REMINDER_PURPOSES = (*MEMBER_REMINDER_PURPOSES, "lecture_meeting_reminder")
CANCELLED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED)
MOVED_PURPOSES = ("group_meeting_moved", "lecture_meeting_moved")


def _member_key(appointment, enrollment: Enrollment, what: str) -> str:
    """A member's message about one meeting at its start time: a moved meeting's is another message."""
    return f"appointment:{appointment.pk}:member:{enrollment.pk}:{what}:{appointment.start.isoformat()}"


def _member_key_read(key: str) -> tuple[int, int]:
    """The meeting's appointment and the member's enrollment a `_member_key` names."""
    _, appointment_pk, _, enrollment_pk, *_ = key.split(":")
    return int(appointment_pk), int(enrollment_pk)


def _meeting_context(meeting: ProgramMeeting) -> dict:
    """What a member's message about a meeting may say: which program and meeting, when and where. Nothing clinical."""
    appointment = meeting.appointment
    return {
        "program_title": meeting.program.title,
        "meeting_number": meeting.number,
        "start": appointment.start.isoformat(),
        "telehealth_url": appointment.telehealth_url,
        **session_place_context(appointment),
        "program_url": program_url(meeting.program),
    }


def _registrant_context(enrollment: Enrollment, context: dict) -> dict:
    """A member of the public's: their own link instead of the portal's."""
    return {
        **context,
        "program_url": "",
        "registrant_name": enrollment.registrant.name,
        "manage_url": registration_manage_url(enrollment),
    }


def meeting_questionnaires_assign() -> int:
    """Ask each current member for the program's questionnaires before its first and its last meeting.

    Run by beat: a first or last meeting starting within OUTCOME_QUESTIONNAIRE_LEAD gets, for every enrolled member
    with a portal account, one assignment per questionnaire (once per member, meeting and questionnaire, so someone
    who enrolls late is asked on the next run) and one `questionnaire_due` email. Withdrawn members and people
    still waiting are not asked. One transaction per meeting. Returns how many assignments were made.
    """
    assigned = 0
    for meeting in selectors.outcome_meetings_due(now=clock.now(), lead=OUTCOME_QUESTIONNAIRE_LEAD):
        assigned += _meeting_questionnaires_assign(meeting)
    return assigned


@transaction.atomic
def _meeting_questionnaires_assign(meeting: ProgramMeeting) -> int:
    program, appointment = meeting.program, meeting.appointment
    is_last = meeting.number == program.meeting_count
    expires_at = appointment.end + FOLLOW_UP_ANSWER_DAYS if is_last else appointment.end
    assigned = 0
    for enrollment in program.members:
        patient = enrollment.patient
        created = [
            code
            for code in program.outcome_questionnaires
            if questionnaire_assign(
                patient=patient,
                instrument=code,
                due_at=appointment.start,
                source_meeting=appointment,
                expires_at=expires_at,
            )[1]
        ]
        questionnaires_due_notify(
            patient=patient,
            session=appointment,
            count=len(created),
            dedupe_key=f"appointment:{appointment.pk}:member:{enrollment.pk}:questionnaire_due",
        )
        assigned += len(created)
    return assigned


def meeting_reminders_queue(*, patient=None, appointments=None) -> int:
    """Remind each member of an upcoming meeting at the clinic's lead times (email, and text for those who agreed).

    Run by beat every few minutes: a meeting entering a lead window gets its reminders queued once per member,
    channel and start time (a rescheduled meeting is reminded again at its new time). Members who withdrew are
    not reminded. Only `patient`'s reminders when given (their chart changed), only those of the meetings that are
    `appointments` when given (a new video link). Returns how many were queued.
    """
    settings_row = ClinicSettings.load()
    now = clock.now()
    leads = {
        Channel.EMAIL: dt.timedelta(hours=settings_row.reminder_email_lead_hours),
        Channel.SMS: dt.timedelta(hours=settings_row.reminder_sms_lead_hours),
    }
    members = Enrollment.objects.filter(status=EnrollmentStatus.ENROLLED)
    meetings = ProgramMeeting.objects.filter(
        appointment__start__gt=now,
        appointment__start__lte=now + max(leads.values()),
        appointment__status__in=BLOCKING_STATUSES,
    )
    if patient is not None:
        members = members.filter(patient=patient)
        meetings = meetings.filter(program__in=members.values("program"))
    if appointments is not None:
        meetings = meetings.filter(appointment__in=appointments)
    meetings = meetings.select_related("program", "appointment__room", "appointment__location").prefetch_related(
        Prefetch(
            "program__enrollments",
            queryset=members.select_related("patient", "registrant"),
            to_attr="members",
        )
    )
    queued = 0
    for meeting in meetings:
        appointment = meeting.appointment
        context = _meeting_context(meeting)
        due = {channel: appointment.start - lead <= now for channel, lead in leads.items()}
        for enrollment in meeting.program.members:
            if enrollment.registrant_id:
                queued += _registrant_reminder_queue(enrollment, appointment, context=context, due=due[Channel.EMAIL])
                continue
            patient = enrollment.patient
            queued += len(
                patient_notice_enqueue(
                    patient=patient,
                    subject=appointment,
                    template="group_meeting_reminder",
                    purpose="group_reminder_{channel}",
                    key=_member_key(appointment, enrollment, "group_reminder_{channel}"),
                    context={**context, **reader_zone_context(patient)},
                    email=patient.reminder_email and due[Channel.EMAIL],
                    sms=patient.reminder_sms and due[Channel.SMS],
                    send_at=now,
                    # A text quiet hours would hold until the meeting has begun is no reminder (as for sessions).
                    expires_at=appointment.start,
                )
            )
    return queued


REPLANNED = "Withdrawn when the member's contact details or reminder choices changed."


def member_reminders_replan(*, patient) -> None:
    """The patient's meeting reminders not yet sent follow their chart as it now is (a new address or number, other
    reminder choices or consent, another zone or name), as their sessions' reminders do: they are withdrawn, and the
    meetings already inside a lead time are reminded again from the chart (a withdrawn row comes back with the new
    details; one already sent is not sent again). Runs in the chart change's transaction
    (patients.extensions.reminder_details_changed); later meetings are reminded by beat from the chart then."""
    Message.objects.filter(patient=patient, purpose__in=MEMBER_REMINDER_PURPOSES, status=MessageStatus.PENDING).update(
        status=MessageStatus.CANCELLED, claimed_until=None, last_error=REPLANNED, updated_at=clock.now()
    )
    meeting_reminders_queue(patient=patient)


def _registrant_reminder_queue(enrollment: Enrollment, appointment, *, context: dict, due: bool) -> int:
    """A member of the public is reminded by email only (at the email lead time), once per meeting and start, under
    the same key shape as members' reminders, with their own link instead of the portal's."""
    if not due:
        return 0
    queued = public_notice_enqueue(
        email=enrollment.registrant.email,
        subject=appointment,
        template="lecture_meeting_reminder",
        key=_member_key(appointment, enrollment, "group_reminder_email"),
        context=_registrant_context(enrollment, context),
        expires_at=appointment.start,
    )
    return 1 if queued is not None else 0


def meeting_on_change(transition: AppointmentTransition) -> None:
    """A group meeting moved or cancelled (a reaction to its transition): the reminders queued for its old time are
    withdrawn (beat reminds of a new time afresh), and members are told of a cancellation still ahead. Individual
    sessions, and bookings, are not this app's."""
    appointment = transition.appointment
    moved = transition.from_status == transition.to_status == AppointmentStatus.BOOKED
    if appointment.patient_id is not None or not (moved or transition.to_status in CANCELLED_STATUSES):
        return
    meeting = _meetings_of([appointment]).first()
    if meeting is None:
        return
    messages_withdraw(subjects=[appointment], purposes=REMINDER_PURPOSES)
    if not moved and appointment.start > clock.now():
        _meeting_cancelled_tell(meeting)


def _meeting_cancelled_tell(meeting: ProgramMeeting) -> None:
    """Tell each member that the meeting is off: by email, and by text to those who take text reminders; a member of
    the public by email with their own link. Once per member and meeting time; none once the meeting would have
    begun (a text quiet hours hold until then is dropped)."""
    appointment = meeting.appointment
    _members_tell(
        meeting,
        context=_meeting_context(meeting),
        templates=("lecture_meeting_cancelled", "group_meeting_cancelled"),
        key=lambda enrollment: _member_key(appointment, enrollment, "meeting_cancelled"),
    )


def _members_tell(
    meeting: ProgramMeeting, *, context: dict, templates: tuple[str, str], key, only: set[int] | None = None
) -> None:
    """One notice to each enrolled member of the meeting (of those whose enrollment keys are `only`, when given),
    under `key(enrollment)`, expiring when it begins: a member of the public by email with their own link (the first
    template), a patient by email and, if they take text reminders, by text, in their own zone where they set one
    (the second)."""
    appointment = meeting.appointment
    public_template, patient_template = templates
    members = meeting.program.enrollments.filter(status=EnrollmentStatus.ENROLLED).select_related(
        "patient", "registrant"
    )
    if only is not None:
        members = members.filter(pk__in=only)
    for enrollment in members.order_by("pk"):
        if enrollment.registrant_id:
            public_notice_enqueue(
                email=enrollment.registrant.email,
                subject=appointment,
                template=public_template,
                key=key(enrollment),
                context=_registrant_context(enrollment, context),
                expires_at=appointment.start,
            )
            continue
        patient = enrollment.patient
        patient_notice_enqueue(
            patient=patient,
            subject=appointment,
            template=patient_template,
            key=key(enrollment),
            context={**context, **reader_zone_context(patient)},
            sms=patient.reminder_sms,
            expires_at=appointment.start,
        )


def meetings_moved_tell(*, moves: list[MovedSession]) -> None:
    """Tell each member of a group meeting that it moved to another date, time, room or office (scheduling's
    `group_meetings_moved` hook, in the move's transaction): its old time on the old office's clock and its new time
    and place on the new one's, in the member's own zone too where they set one. By email, and by text to those who
    take text reminders; a member of the public by email with their own link. One notice per member per move (each
    move is numbered in the key, so a meeting moved away and back is told both times); none for a new facilitator
    alone, nor for a meeting moved to a time already begun. The reminders of the old time were withdrawn by
    `meeting_on_change`; beat reminds of the new time at the usual lead."""
    now = clock.now()
    told = [move for move in moves if move.appointment.start > now and move.time_or_place_changed]
    meetings = {meeting.appointment_id: meeting for meeting in _meetings_of([move.appointment for move in told])}
    for move in told:
        if (meeting := meetings.get(move.appointment.pk)) is not None:
            _meeting_moved_tell(meeting, move)


def _meetings_of(appointments) -> QuerySet[ProgramMeeting]:
    """The group meetings these sessions are, with what their notices name."""
    return ProgramMeeting.objects.select_related("program", "appointment__room", "appointment__location").filter(
        appointment__in=appointments
    )


def _moves_told(appointment) -> int:
    """How many moves of this meeting were told before (the caller holds the meeting's row lock)."""
    keys = Message.objects.filter(
        subject_type=appointment._meta.label_lower, subject_id=str(appointment.pk), purpose__in=MOVED_PURPOSES
    ).values_list("dedupe_key", flat=True)
    return max((int(key.split(":meeting_moved:")[1].split(":")[0]) for key in keys), default=0)


def _meeting_moved_tell(meeting: ProgramMeeting, move: MovedSession) -> None:
    appointment = meeting.appointment
    number = _moves_told(appointment) + 1
    context = {
        **_meeting_context(meeting),
        "previous_start": move.previous_start.isoformat(),
        # The old time on the clock of the office it was at (a move to another office changes the clock).
        "previous_time_zone": move.previous_zone.key,
    }
    _members_tell(
        meeting,
        context=context,
        templates=("lecture_meeting_moved", "group_meeting_moved"),
        key=lambda enrollment: f"appointment:{appointment.pk}:member:{enrollment.pk}:meeting_moved:{number}",
    )


def member_reminders_on_leaving(transition: EnrollmentTransition) -> None:
    """A member who leaves (a reaction to their enrollment's withdrawal) is not reminded of meetings already queued
    for them."""
    if transition.from_status != EnrollmentStatus.ENROLLED:
        return
    enrollment = transition.enrollment
    appointments = [meeting.appointment for meeting in enrollment.program.meetings.select_related("appointment")]
    messages_withdraw(
        subjects=appointments, purposes=REMINDER_PURPOSES, dedupe_key__contains=f":member:{enrollment.pk}:"
    )


def video_links_renew_on_leaving(transition: EnrollmentTransition) -> None:
    """A member who leaves (a reaction to their enrollment's withdrawal, however it came: they withdrew, staff
    withdrew them, a registrant cancelled) could otherwise still open the video room of
    every later meeting with the link already sent to them, and see and hear the others: each online meeting of the
    program not yet begun gets a new link, in the leaving's transaction. Those who stay get it without anyone doing
    anything: reminders queued with the old link are planned again with the new one (as a moved meeting's are) and
    beat reminds of later meetings with it; a member already reminded of one is sent the new link
    (`group_meeting_link_renewed`, `lecture_meeting_link_renewed`). The one who left is no longer a member, so is
    sent neither."""
    if transition.from_status != EnrollmentStatus.ENROLLED:
        return
    meetings = list(
        _meetings_of(
            Appointment.objects.filter(
                program_meeting__program=transition.enrollment.program_id,
                is_telehealth=True,
                status__in=BLOCKING_STATUSES,
                start__gt=clock.now(),
            )
        ).order_by("appointment__start")
    )
    if not meetings:
        return
    appointments = [meeting.appointment for meeting in meetings]
    now = clock.now()
    for appointment in appointments:
        appointment.telehealth_url, appointment.updated_at = telehealth_url_new(), now
    Appointment.objects.bulk_update(appointments, ["telehealth_url", "updated_at"])
    reminded = _members_reminded(appointments)
    messages_withdraw(subjects=appointments, purposes=REMINDER_PURPOSES)
    meeting_reminders_queue(appointments=appointments)
    for meeting in meetings:
        if members := reminded.get(meeting.appointment_id):
            _meeting_link_renewed_tell(meeting, members=members, leaving=transition)


def _members_reminded(appointments: list) -> dict[int, set[int]]:
    """Who has been sent (or is being sent) a reminder of each of these meetings: its appointment's key, their
    enrollments' keys."""
    keys = Message.objects.filter(
        subject_type=Appointment._meta.label_lower,
        subject_id__in=[str(appointment.pk) for appointment in appointments],
        purpose__in=REMINDER_PURPOSES,
    ).exclude(status__in=[MessageStatus.PENDING, MessageStatus.CANCELLED])
    reminded: dict[int, set[int]] = {}
    for key in keys.values_list("dedupe_key", flat=True):
        appointment_pk, enrollment_pk = _member_key_read(key)
        reminded.setdefault(appointment_pk, set()).add(enrollment_pk)
    return reminded


def _meeting_link_renewed_tell(meeting: ProgramMeeting, *, members: set[int], leaving: EnrollmentTransition) -> None:
    """The new link to the members who stay and were already reminded of the meeting with the old one; once per
    member and leaving."""
    appointment = meeting.appointment
    _members_tell(
        meeting,
        context=_meeting_context(meeting),
        templates=("lecture_meeting_link_renewed", "group_meeting_link_renewed"),
        key=lambda enrollment: f"appointment:{appointment.pk}:member:{enrollment.pk}:link_renewed:{leaving.pk}",
        only=members,
    )
