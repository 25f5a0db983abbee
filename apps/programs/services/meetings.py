"""What members are sent before meetings: the program's questionnaires and meeting reminders. Run by beat."""

import datetime as dt

from django.db import transaction
from django.db.models import Prefetch

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.notifications.models import Channel
from apps.notifications.outbox import patient_notice_enqueue, public_notice_enqueue
from apps.outcomes.services import questionnaire_assign, questionnaires_due_notify
from apps.scheduling.models import BLOCKING_STATUSES
from apps.scheduling.reminders import reader_zone_context, session_place_context

from .. import selectors
from ..models import Enrollment, EnrollmentStatus, ProgramMeeting
from ..registration_links import registration_manage_url
from .seats import program_url

# Members are asked for the program's questionnaires this long before its first and its last meeting. Baseline answers
# close when the first meeting ends; follow-up answers stay open for a week after the last.
OUTCOME_QUESTIONNAIRE_LEAD = dt.timedelta(hours=48)
FOLLOW_UP_ANSWER_DAYS = dt.timedelta(days=7)


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


def meeting_reminders_queue() -> int:
    """Remind each member of an upcoming meeting at the clinic's lead times (email, and text for those who agreed).

    Run by beat every few minutes: a meeting entering a lead window gets its reminders queued once per member,
    channel and start time (a rescheduled meeting is reminded again at its new time). Members who withdrew are
    not reminded. Returns how many were queued.
    """
    settings_row = ClinicSettings.load()
    now = clock.now()
    leads = {
        Channel.EMAIL: dt.timedelta(hours=settings_row.reminder_email_lead_hours),
        Channel.SMS: dt.timedelta(hours=settings_row.reminder_sms_lead_hours),
    }
    meetings = (
        ProgramMeeting.objects.filter(
            appointment__start__gt=now,
            appointment__start__lte=now + max(leads.values()),
            appointment__status__in=BLOCKING_STATUSES,
        )
        .select_related("program", "appointment__room", "appointment__location")
        .prefetch_related(
            Prefetch(
                "program__enrollments",
                queryset=Enrollment.objects.filter(status=EnrollmentStatus.ENROLLED).select_related(
                    "patient", "registrant"
                ),
                to_attr="members",
            )
        )
    )
    queued = 0
    for meeting in meetings:
        appointment = meeting.appointment
        context = {
            "program_title": meeting.program.title,
            "meeting_number": meeting.number,
            "start": appointment.start.isoformat(),
            "telehealth_url": appointment.telehealth_url,
            **session_place_context(appointment),
            "program_url": program_url(meeting.program),
        }
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
                    # Not "reminder_*": replying C to confirm is for individual sessions.
                    purpose="group_reminder_{channel}",
                    key=f"appointment:{appointment.pk}:member:{enrollment.pk}:group_reminder_{{channel}}:"
                    f"{appointment.start.isoformat()}",
                    context={**context, **reader_zone_context(patient)},
                    email=patient.reminder_email and due[Channel.EMAIL],
                    sms=patient.reminder_sms and due[Channel.SMS],
                    send_at=now,
                    # A text quiet hours would hold until the meeting has begun is no reminder (as for sessions).
                    expires_at=appointment.start,
                )
            )
    return queued


def _registrant_reminder_queue(enrollment: Enrollment, appointment, *, context: dict, due: bool) -> int:
    """A member of the public is reminded by email only (at the email lead time), once per meeting and start, under
    the same key shape as members' reminders, with their own link instead of the portal's."""
    if not due:
        return 0
    queued = public_notice_enqueue(
        email=enrollment.registrant.email,
        subject=appointment,
        template="lecture_meeting_reminder",
        key=f"appointment:{appointment.pk}:member:{enrollment.pk}:group_reminder_email:{appointment.start.isoformat()}",
        context={
            **context,
            "program_url": "",
            "registrant_name": enrollment.registrant.name,
            "manage_url": registration_manage_url(enrollment),
        },
        expires_at=appointment.start,
    )
    return 1 if queued is not None else 0
