"""Meetings are group appointments, conflict-checked; attendance drives charges at the sliding-scale fee."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.demo import config_seed
from apps.billing.models import Charge
from apps.billing.services.assessments import assessment_approve, assessment_submit
from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.programs import selectors
from apps.programs.models import Enrollment, GroupProgram
from apps.programs.services.attendance import attendance_record
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.programs.services.setup import program_capacity_set, program_close, program_update
from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory, RoomFactory, ServiceTypeFactory

from .factories import facilitator_with_evening_hours, group_service, scheduled_program

pytestmark = pytest.mark.django_db


def test_creating_a_program_books_its_meetings_as_group_appointments(personas):
    room = RoomFactory(name="Group room", capacity=14)
    program = scheduled_program(actor=personas.front_desk, meeting_count=10, room=room, is_telehealth=False)
    meetings = list(selectors.program_meetings(program=program))
    assert [m.number for m in meetings] == list(range(1, 11))
    for meeting in meetings:
        appointment = meeting.appointment
        assert appointment.patient is None
        assert appointment.therapist == program.lead_facilitator
        assert appointment.room == room
        assert appointment.service_type.code == "90853"
        local = appointment.start.astimezone(clock.clinic_tz())
        assert (local.time(), local.weekday()) == (dt.time(18, 0), program.first_meeting_on.weekday())
    assert meetings[1].appointment.start.astimezone(clock.clinic_tz()).date() - program.first_meeting_on == (
        dt.timedelta(weeks=1)
    )


def test_a_facilitator_conflict_refuses_the_whole_program_and_names_the_appointment(personas):
    first = clock.local_now().date() + dt.timedelta(days=14)
    facilitator = facilitator_with_evening_hours(first.weekday())
    ServiceTypeFactory()
    clash = AppointmentFactory(
        therapist=facilitator,
        start=clock.local_datetime(first + dt.timedelta(weeks=2), dt.time(18, 30)),
    )
    with pytest.raises(Conflict) as caught:
        scheduled_program(actor=personas.front_desk, lead_facilitator=facilitator)
    assert "Meeting 3" in caught.value.message
    assert caught.value.extra["conflicting_appointment"]["id"] == clash.pk
    assert not GroupProgram.objects.exists()
    assert Appointment.objects.filter(patient__isnull=True).count() == 0


def test_a_room_conflict_is_refused_like_any_booking(personas):
    room = RoomFactory(capacity=14)
    scheduled_program(actor=personas.front_desk, room=room, is_telehealth=False)
    with pytest.raises(Conflict, match="room"):
        scheduled_program(actor=personas.front_desk, room=room, is_telehealth=False)


def test_an_individual_service_cannot_be_a_program(personas):
    with pytest.raises(Unprocessable, match="group service"):
        scheduled_program(actor=personas.front_desk, service_type=ServiceTypeFactory(code="90834"))


@pytest.fixture
def sliding_patient(personas):
    """The personas' patient, approved at the 176-200% class (80% of the full fee)."""
    group_service()
    config_seed()
    assessment = assessment_submit(
        actor=personas.billing, patient=personas.patient, household_size=1, annual_income=Decimal("30000")
    )
    assessment_approve(actor=personas.billing, assessment=assessment)
    return personas.patient


@pytest.fixture
def group(personas, sliding_patient):
    program = scheduled_program(actor=personas.front_desk)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=sliding_patient)
    meetings = list(selectors.program_meetings(program=program))
    return program, enrollment, meetings


def at_meeting(meeting):
    return time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=30), tick=False)


def test_an_attended_meeting_is_charged_once_at_the_patients_sliding_scale_fee(personas, group):
    program, enrollment, meetings = group
    with at_meeting(meetings[0]):
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="attended")
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="attended")
    [charge] = Charge.objects.filter(patient=enrollment.patient)
    assert charge.appointment == meetings[0].appointment
    assert (charge.full_fee, charge.amount) == (Decimal("60.00"), Decimal("48.00"))


def test_a_no_show_is_charged_only_when_the_program_says_so(personas, group):
    program, enrollment, meetings = group
    with at_meeting(meetings[0]):
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="no_show")
    assert not Charge.objects.exists()
    program_update(actor=personas.front_desk, program=program, charge_no_shows=True)
    with at_meeting(meetings[1]):
        attendance_record(actor=personas.therapist, meeting=meetings[1], enrollment=enrollment, status="no_show")
    assert Charge.objects.get().appointment == meetings[1].appointment


def test_an_excused_absence_is_not_charged(personas, group):
    program, enrollment, meetings = group
    with at_meeting(meetings[0]):
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="excused")
    assert not Charge.objects.exists()


def test_a_charged_meeting_cannot_be_quietly_turned_into_an_absence(personas, group):
    program, enrollment, meetings = group
    with at_meeting(meetings[0]):
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="attended")
        with pytest.raises(Conflict, match="already charged"):
            attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="excused")


def test_withdrawing_stops_charges_for_later_meetings(personas, group):
    program, enrollment, meetings = group
    with at_meeting(meetings[0]):
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="attended")
        enrollment_withdraw(actor=personas.patient_user, enrollment=enrollment)
    with at_meeting(meetings[1]):
        assert [e for e, _ in selectors.meeting_attendance_sheet(meeting=meetings[1])] == []
        with pytest.raises(Unprocessable, match="not a member"):
            attendance_record(actor=personas.therapist, meeting=meetings[1], enrollment=enrollment, status="attended")
    assert Charge.objects.count() == 1
    assert [e for e, _ in selectors.meeting_attendance_sheet(meeting=meetings[0])] == [enrollment]


def test_attendance_waits_for_the_meeting_to_start(personas, group):
    program, enrollment, meetings = group
    with pytest.raises(Exception, match="once the meeting has started"):
        attendance_record(actor=personas.therapist, meeting=meetings[0], enrollment=enrollment, status="attended")


def test_after_the_last_meeting_members_complete_and_the_waiting_are_told_it_ended(personas, make_patients):
    from apps.notifications.models import Message
    from apps.programs.models import Enrollment
    from apps.programs.tasks import close_finished_programs

    program = scheduled_program(actor=personas.front_desk, capacity=1, meeting_count=2)
    member, offered, waiting = make_patients(3)
    first = program_enroll(actor=personas.front_desk, program=program, patient=member)
    program_enroll(actor=personas.front_desk, program=program, patient=offered)
    program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    last = selectors.program_meetings(program=program).last().appointment
    with time_machine.travel(last.start - dt.timedelta(hours=1), tick=False):
        enrollment_withdraw(actor=personas.front_desk, enrollment=first)
        assert close_finished_programs() == 0
    with time_machine.travel(last.end + dt.timedelta(minutes=1), tick=False):
        assert close_finished_programs() == 1
        assert close_finished_programs() == 0
    statuses = dict(Enrollment.objects.filter(program=program).values_list("patient_id", "status"))
    assert statuses == {member.pk: "withdrawn", offered.pk: "expired", waiting.pk: "withdrawn"}
    told = Message.objects.filter(template="waitlist_closed").values_list("patient_id", flat=True)
    assert sorted(told) == sorted([offered.pk, waiting.pk])


def test_a_seat_freed_once_the_last_meeting_has_begun_is_not_offered(personas, login, make_patients):
    program = scheduled_program(actor=personas.front_desk, capacity=1, meeting_count=2)
    member, waiting = make_patients(2)
    seated = program_enroll(actor=personas.front_desk, program=program, patient=member)
    program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    last = selectors.program_meetings(program=program).last().appointment
    with time_machine.travel(last.start + dt.timedelta(minutes=30), tick=False):
        asked = login(personas.front_desk).post(f"/programs/enrollments/{seated.pk}/withdraw/").content.decode()
        assert "the program has no meeting left, so it is not offered on" in asked
        enrollment_withdraw(actor=personas.front_desk, enrollment=seated)
        assert program_capacity_set(actor=personas.front_desk, program=program, capacity=2) == []
    assert Enrollment.objects.get(patient=waiting).status == "waitlisted"  # told it ended when the program closes
    assert not Message.objects.filter(template="seat_offer").exists()


def test_members_who_stayed_to_the_end_complete_the_program(personas, make_patients):
    from apps.programs.models import Enrollment

    program = scheduled_program(actor=personas.front_desk, capacity=2, meeting_count=1)
    [member] = make_patients(1)
    program_enroll(actor=personas.front_desk, program=program, patient=member)
    last = selectors.program_meetings(program=program).last().appointment
    with time_machine.travel(last.end + dt.timedelta(hours=1), tick=False):
        assert program_close(program=program) == {"completed": 1, "closed": 0}
    assert Enrollment.objects.get(patient=member).status == "completed"


def test_members_are_reminded_of_each_meeting_once_per_channel_at_the_lead_times(personas, make_patients):
    from apps.notifications.models import Message
    from apps.programs.tasks import remind_meeting_members

    program = scheduled_program(actor=personas.front_desk, capacity=3)
    texting, emailing, leaving = make_patients(3)
    type(texting).objects.filter(pk=texting.pk).update(reminder_sms=True, sms_consent_at=clock.now())
    for patient in (texting, emailing, leaving):
        program_enroll(actor=personas.front_desk, program=program, patient=patient)
    enrollment_withdraw(actor=personas.front_desk, enrollment=program.enrollments.get(patient=leaving), reason="Moved")
    start = selectors.program_meetings(program=program).first().appointment.start
    with time_machine.travel(start - dt.timedelta(hours=49), tick=False):
        assert remind_meeting_members() == 0
    with time_machine.travel(start - dt.timedelta(hours=47), tick=False):
        assert remind_meeting_members() == 2
        assert remind_meeting_members() == 0
    with time_machine.travel(start - dt.timedelta(hours=1), tick=False):
        assert remind_meeting_members() == 1
    sent = set(Message.objects.filter(template="group_meeting_reminder").values_list("patient_id", "channel"))
    assert sent == {(texting.pk, "email"), (emailing.pk, "email"), (texting.pk, "sms")}


def test_the_enrollment_confirmation_tells_the_first_meeting_on_its_office_clock(personas):
    program = scheduled_program(actor=personas.admin)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    message = Message.objects.get(template="enrollment_confirmed", channel="email")
    assert message.context["time_zone"] == program.meetings.first().appointment.zone.key
    text = message_render(template="enrollment_confirmed", context=message.context, channel="email").text
    assert "at 6:00 PM New York time" in text  # its office's zone named


def test_a_meeting_text_quiet_hours_would_hold_past_its_start_is_not_sent(personas, make_patients):
    """As for a session: a reminder text that quiet hours push to after the 6 PM meeting has begun is dropped, and
    the email still goes."""
    from apps.core.models import ClinicSettings
    from apps.notifications.models import Message
    from apps.programs.tasks import remind_meeting_members

    clinic = ClinicSettings.load()
    clinic.quiet_hours_start, clinic.quiet_hours_end = dt.time(15, 0), dt.time(19, 0)
    clinic.save()
    program = scheduled_program(actor=personas.front_desk, capacity=3)
    (texting,) = make_patients(1)
    type(texting).objects.filter(pk=texting.pk).update(reminder_sms=True, sms_consent_at=clock.now())
    program_enroll(actor=personas.front_desk, program=program, patient=texting)
    start = selectors.program_meetings(program=program).first().appointment.start
    with time_machine.travel(start - dt.timedelta(hours=1), tick=False):
        remind_meeting_members()
    channels = set(Message.objects.filter(template="group_meeting_reminder").values_list("channel", flat=True))
    assert channels == {"email"}
