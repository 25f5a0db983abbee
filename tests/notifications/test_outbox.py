"""The outbox is written in the transaction of the change that causes it, once per (subject, purpose)."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from apps.core import clock
from apps.notifications.delivery import messages_claim_due
from apps.notifications.models import Message, MessageStatus
from apps.notifications.outbox import message_enqueue, public_notice_enqueue
from apps.scheduling.reminders import appointment_reminders_cancel, appointment_reminders_schedule
from apps.scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from tests.factories import ServiceTypeFactory

pytestmark = pytest.mark.django_db


def _reminders(appointment):
    return Message.objects.filter(subject_id=str(appointment.pk), purpose__startswith="reminder_")


def test_email_reminder_is_queued_at_the_clinics_lead_time(appointment):
    [reminder] = appointment_reminders_schedule(appointment=appointment)
    assert reminder.channel == "email"
    assert reminder.to_address == appointment.patient.email
    assert reminder.send_at == appointment.start - dt.timedelta(hours=48)
    assert reminder.status == MessageStatus.PENDING


def test_lead_time_follows_clinic_settings(appointment, clinic):
    clinic.reminder_email_lead_hours = 24
    clinic.save()
    [reminder] = appointment_reminders_schedule(appointment=appointment)
    assert reminder.send_at == appointment.start - dt.timedelta(hours=24)


def test_the_same_reminder_is_never_queued_twice(appointment):
    assert len(appointment_reminders_schedule(appointment=appointment)) == 1
    assert appointment_reminders_schedule(appointment=appointment) == []
    assert _reminders(appointment).count() == 1


def test_message_enqueue_answers_none_for_a_key_already_queued(appointment, personas):
    kwargs = {
        "channel": "email",
        "to_address": "pat@example.test",
        "purpose": "seat_offer",
        "template": "seat_offer",
        "subject": appointment,
        "send_at": clock.now(),
        "dedupe_key": "offer:1",
        "patient": personas.patient,
    }
    assert message_enqueue(**kwargs) is not None
    assert message_enqueue(**kwargs) is None
    assert Message.objects.filter(dedupe_key="offer:1").count() == 1


def test_a_rolled_back_booking_leaves_no_message(personas, clinic, front_desk_books):
    with pytest.raises(RuntimeError), transaction.atomic():
        front_desk_books()
        purposes = sorted(Message.objects.values_list("purpose", flat=True))
        assert purposes == ["appointment_booked", "reminder_email"]
        raise RuntimeError("the booking fails after the reminder and the confirmation were queued")
    assert Message.objects.count() == 0
    assert messages_claim_due() == []


def test_a_committed_booking_queues_its_reminder_with_it(personas, clinic, front_desk_books):
    appointment = front_desk_books()
    assert _reminders(appointment).get().status == MessageStatus.PENDING


@pytest.fixture
def front_desk_books(personas):
    def book():
        return appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=ServiceTypeFactory(),
            start=clock.local_datetime(clock.local_now().date() + dt.timedelta(days=7), dt.time(10)),
            override_reason="Outside regular hours for this test",
        )

    return book


def test_no_sms_without_recorded_consent(appointment, personas):
    personas.patient.reminder_sms = False
    appointment_reminders_schedule(appointment=appointment)
    assert set(_reminders(appointment).values_list("channel", flat=True)) == {"email"}


def test_sms_reminder_with_consent_goes_two_hours_before(appointment, personas, set_reminders):
    set_reminders(email=False, sms=True)
    appointment.patient.refresh_from_db()
    [sms] = appointment_reminders_schedule(appointment=appointment)
    assert sms.channel == "sms"
    assert sms.to_address == personas.patient.phone
    assert sms.send_at == appointment.start - dt.timedelta(hours=2)


def test_no_sms_after_the_patient_opted_out(appointment, personas, set_reminders):
    from apps.patients.services import patient_sms_opt_out

    set_reminders(email=False, sms=True)
    patient_sms_opt_out(patient=personas.patient)
    appointment.patient.refresh_from_db()
    assert appointment_reminders_schedule(appointment=appointment) == []


def test_an_sms_due_in_quiet_hours_waits_for_the_morning(appointment, personas, set_reminders):
    set_reminders(email=False, sms=True)
    appointment.patient.refresh_from_db()
    day = clock.local_now().date() + dt.timedelta(days=3)
    appointment.start = clock.local_datetime(day, dt.time(9, 0))  # 2 h before is 07:00, inside 21:00-08:00
    appointment.end = appointment.start + dt.timedelta(minutes=45)
    appointment.save()
    [sms] = appointment_reminders_schedule(appointment=appointment)
    assert sms.send_at == clock.local_datetime(day, dt.time(8, 0))


def test_an_sms_that_cannot_leave_quiet_hours_before_the_session_is_not_queued(appointment, personas, set_reminders):
    set_reminders(email=False, sms=True)
    appointment.patient.refresh_from_db()
    day = clock.local_now().date() + dt.timedelta(days=3)
    appointment.start = clock.local_datetime(day, dt.time(7, 30))
    appointment.end = appointment.start + dt.timedelta(minutes=45)
    appointment.save()
    assert appointment_reminders_schedule(appointment=appointment) == []


def test_booking_close_to_the_session_sends_the_email_now(appointment):
    with time_machine.travel(appointment.start - dt.timedelta(hours=5), tick=False):
        [reminder] = appointment_reminders_schedule(appointment=appointment)
        assert reminder.send_at == clock.now()


def test_rescheduling_cancels_old_reminders_and_queues_new_ones(appointment, personas):
    appointment_reminders_schedule(appointment=appointment)
    new_start = appointment.start + dt.timedelta(days=1, hours=2)
    appointment_reschedule(appointment=appointment, actor=personas.front_desk, start=new_start, override_reason="Moved")
    rows = {m.status: m for m in _reminders(appointment)}
    assert rows[MessageStatus.CANCELLED].send_at == appointment.start - dt.timedelta(hours=48)
    assert rows[MessageStatus.PENDING].send_at == new_start - dt.timedelta(hours=48)
    assert dt.datetime.fromisoformat(rows[MessageStatus.PENDING].context["start"]) == new_start


def test_moving_a_session_away_and_back_revives_its_reminder(appointment, personas):
    appointment_reminders_schedule(appointment=appointment)
    original = appointment.start
    appointment_reschedule(
        appointment=appointment, actor=personas.front_desk, start=original + dt.timedelta(hours=3), override_reason="x"
    )
    appointment_reschedule(appointment=appointment, actor=personas.front_desk, start=original, override_reason="x")
    pending = _reminders(appointment).filter(status=MessageStatus.PENDING).get()
    assert pending.send_at == original - dt.timedelta(hours=48)


def test_cancelling_cancels_pending_reminders_and_tells_the_patient(appointment, personas):
    appointment_reminders_schedule(appointment=appointment)
    appointment_cancel(appointment=appointment, actor=personas.front_desk, reason="Patient called")
    assert _reminders(appointment).get().status == MessageStatus.CANCELLED
    notice = Message.objects.get(purpose="appointment_cancelled")
    assert notice.to_address == personas.patient.email
    assert notice.context["late_cancelled"] is False


def test_cancelling_a_session_that_already_began_records_it_without_a_notice(appointment, personas):
    with time_machine.travel(appointment.start + dt.timedelta(minutes=10), tick=False):
        cancelled = appointment_cancel(appointment=appointment, actor=personas.front_desk, reason="Called late")
    assert cancelled.status == "late_cancelled"
    assert not Message.objects.filter(purpose="appointment_cancelled").exists()


def test_a_sent_reminder_is_not_cancelled(appointment):
    [reminder] = appointment_reminders_schedule(appointment=appointment)
    Message.objects.filter(pk=reminder.pk).update(status=MessageStatus.SENT, sent_at=clock.now())
    assert appointment_reminders_cancel(appointment=appointment) == 0


def test_a_group_meeting_has_no_patient_reminders(appointment):
    appointment.patient = None
    assert appointment_reminders_schedule(appointment=appointment) == []


@pytest.mark.parametrize(
    ("quiet", "at", "expected"),
    [
        (("21:00", "08:00"), "2030-06-03 22:15", "2030-06-04 08:00"),
        (("21:00", "08:00"), "2030-06-04 06:59", "2030-06-04 08:00"),
        (("21:00", "08:00"), "2030-06-04 08:00", "2030-06-04 08:00"),
        (("21:00", "08:00"), "2030-06-04 20:59", "2030-06-04 20:59"),
        (("13:00", "14:00"), "2030-06-04 13:30", "2030-06-04 14:00"),
        (("00:00", "00:00"), "2030-06-04 03:00", "2030-06-04 03:00"),
    ],
)
def test_quiet_hours_move_texts_to_the_end_of_the_quiet_period(clinic, quiet, at, expected):
    from apps.notifications.quiet_hours import sms_quiet_hours_shift

    clinic.quiet_hours_start, clinic.quiet_hours_end = (dt.time.fromisoformat(t) for t in quiet)

    def local(text):
        day, time = text.split()
        return clock.local_datetime(dt.date.fromisoformat(day), dt.time.fromisoformat(time))

    assert sms_quiet_hours_shift(local(at), clinic) == local(expected)


def test_a_message_needs_someone_to_go_to(appointment):
    # Only an email may go to a bare address (a member of the public, through public_notice_enqueue).
    with pytest.raises(ValueError, match="patient, a recipient user"):
        message_enqueue(
            channel="sms",
            to_address="+16175550100",
            purpose="digest",
            template="digest",
            subject=appointment,
            send_at=clock.now(),
            dedupe_key="nobody",
        )


def test_messages_for_staff_go_to_their_user(appointment, personas):
    message = message_enqueue(
        channel="email",
        to_address=personas.therapist.email,
        purpose="unsigned_notes_digest",
        template="unsigned_notes_digest",
        subject=personas.therapist,
        send_at=clock.now(),
        dedupe_key="digest:therapist:2030-06-04",
        recipient_user=personas.therapist,
    )
    assert (message.recipient_user, message.patient) == (personas.therapist, None)


def test_sessions_cancelled_together_share_one_notice(appointment, personas):
    from apps.notifications.rendering import message_render
    from tests.factories import AppointmentFactory

    later = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=appointment.start + dt.timedelta(days=7)
    )
    appointment_cancel(appointment=later, actor=personas.front_desk, reason="Moving away")
    appointment_cancel(appointment=appointment, actor=personas.front_desk, reason="Moving away")
    notice = Message.objects.get(purpose="appointment_cancelled")
    assert [s["appointment_id"] for s in notice.context["sessions"]] == [appointment.pk, later.pk]
    rendered = message_render(template="appointment_cancelled", context=notice.context, channel="email")
    assert rendered.subject == "2 of your sessions are cancelled"
    assert rendered.text.count(" with Theo") == 2


def test_a_notice_already_handed_out_is_not_extended(appointment, personas):
    from tests.factories import AppointmentFactory

    later = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=appointment.start + dt.timedelta(days=7)
    )
    appointment_cancel(appointment=appointment, actor=personas.front_desk)
    messages_claim_due()
    appointment_cancel(appointment=later, actor=personas.front_desk)
    notices = Message.objects.filter(purpose="appointment_cancelled").order_by("pk")
    assert [len(n.context["sessions"]) for n in notices] == [1, 1]


def test_a_public_notice_is_one_email_to_the_address_queued_once(appointment):
    first = public_notice_enqueue(
        email="visitor@example.test", subject=appointment, template="digest", context={"a": 1}, key="public:1"
    )
    again = public_notice_enqueue(
        email="visitor@example.test", subject=appointment, template="digest", context={"a": 1}, key="public:1"
    )
    assert again is None
    assert (first.channel, first.to_address, first.patient, first.recipient_user) == (
        "email",
        "visitor@example.test",
        None,
        None,
    )
