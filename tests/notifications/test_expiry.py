"""A reminder keeps the moment it stops being of use (its session's start), an offer's notice the offer's deadline: it
is cancelled rather than sent from then on, and a text that quiet hours would hold until then is cancelled rather than
held."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.notifications.delivery import message_send, messages_send
from apps.notifications.models import Message, MessageStatus
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.scheduling.reminders import appointment_reminders_schedule
from tests.factories import AppointmentFactory
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db


def test_an_email_reminder_still_unsent_when_its_session_begins_is_not_sent(appointment):
    [reminder] = appointment_reminders_schedule(appointment=appointment)
    assert reminder.expires_at == appointment.start
    # e.g. in retry backoff while the mail server was down
    with time_machine.travel(appointment.start + dt.timedelta(minutes=1), tick=False):
        assert message_send(message_id=reminder.pk) == "cancelled"
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.CANCELLED
    assert reminder.last_error.startswith("Not sent: by the time it was due it was no longer of use")


@pytest.mark.parametrize(
    ("session_at", "lead_hours", "outcome"),
    [(dt.time(7, 30), 12, "cancelled"), (dt.time(9, 30), 14, "deferred")],
)
def test_a_text_sent_late_into_quiet_hours_waits_for_the_morning_only_if_that_is_before_its_session(
    personas, clinic, twilio_api, set_reminders, session_at, lead_hours, outcome
):
    """A text reminder due at 7:30 PM, queued for then; sent late (a dispatch delayed into quiet hours), it waits for
    8 AM when its session starts after that, and is cancelled when the session starts first."""
    set_reminders(email=False, sms=True)
    clinic.reminder_sms_lead_hours = lead_hours
    clinic.save()
    day = clock.local_now().date() + dt.timedelta(days=3)
    morning = clock.local_datetime(day + dt.timedelta(days=1), dt.time(8))
    session = AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        start=clock.local_datetime(day + dt.timedelta(days=1), session_at),
    )
    with time_machine.travel(clock.local_datetime(day, dt.time(12)), tick=False):
        [text] = appointment_reminders_schedule(appointment=session)
    assert (text.send_at, text.expires_at) == (clock.local_datetime(day, dt.time(19, 30)), session.start)
    assert (ClinicSettings.load().quiet_hours_start, ClinicSettings.load().quiet_hours_end) == (dt.time(21), dt.time(8))

    with time_machine.travel(clock.local_datetime(day, dt.time(21, 30)), tick=False):
        assert message_send(message_id=text.pk) == outcome

    text.refresh_from_db()
    if outcome == "cancelled":
        assert text.status == MessageStatus.CANCELLED
        assert text.last_error == "Not sent: quiet hours would have held this text until it was no longer of use."
    else:
        assert (text.status, text.send_at) == (MessageStatus.PENDING, morning)
    assert twilio_api.requests == []


def test_a_seat_offer_notice_is_not_sent_after_the_offer_closed(personas, make_patients):
    program = scheduled_program(actor=personas.front_desk, capacity=1)
    seated, waiting = make_patients(2)
    first = program_enroll(actor=personas.front_desk, program=program, patient=seated)
    offered = program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    enrollment_withdraw(actor=personas.front_desk, enrollment=first, reason="Moved away")
    offered.refresh_from_db()
    [notice] = Message.objects.filter(purpose="seat_offer", channel="email")
    assert notice.expires_at == offered.offer_expires_at
    with time_machine.travel(offered.offer_expires_at, tick=False):
        assert messages_send(message_ids=[notice.pk]) == {"cancelled": 1}
