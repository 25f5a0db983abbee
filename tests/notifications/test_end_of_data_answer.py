"""After the end-of-data mark the mail server may have queued the message: only an explicit refusal sends it again.

A server that queues the message and then answers late (or never) leaves the outcome unknown. The row stays sent,
marked unconfirmed for staff, and the patient gets the message once.
"""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.notifications.delivery import messages_send, retry_delay
from apps.notifications.labels import provider_status_label
from apps.notifications.models import Message, MessageStatus
from apps.scheduling.reminders import appointment_reminders_schedule
from tests.factories import AppointmentFactory, PatientFactory, TherapistFactory

from .conftest import AnswersAfterQueueing

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminder(clinic):
    [row] = appointment_reminders_schedule(
        appointment=AppointmentFactory(therapist=TherapistFactory(), patient=PatientFactory())
    )
    Message.objects.filter(pk=row.pk).update(send_at=clock.now())
    return row


def test_a_message_queued_but_answered_too_late_stays_sent_unconfirmed_and_goes_out_once(
    mail_server, reminder, settings
):
    settings.EMAIL_TIMEOUT = 0.5
    server = mail_server(AnswersAfterQueueing(delay=1.5))

    assert messages_send(message_ids=[reminder.pk]) == {"unconfirmed": 1}

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.provider_status) == (MessageStatus.SENT, 1, "unconfirmed")
    assert reminder.sent_at is not None
    assert "gave no answer" in reminder.last_error and "not sent again" in reminder.last_error
    assert provider_status_label(reminder.provider_status) == "Not confirmed by the mail server"
    # However long one waits, it is not sent a second time.
    with time_machine.travel(clock.now() + retry_delay(1) + dt.timedelta(minutes=1), tick=False):
        assert messages_send(message_ids=[reminder.pk]) == {"skipped": 1}
    assert list(server.counts().values()) == [1]


def test_the_answer_to_a_whole_message_may_take_what_is_left_of_the_tasks_time(mail_server, reminder, settings):
    settings.EMAIL_TIMEOUT = 0.5
    server = mail_server(AnswersAfterQueueing(delay=1))

    assert messages_send(message_ids=[reminder.pk], time_budget=10) == {"sent": 1}

    reminder.refresh_from_db()
    assert (reminder.status, reminder.provider_status, reminder.last_error) == (MessageStatus.SENT, "", "")
    assert list(server.counts().values()) == [1]


def test_a_server_that_defers_the_whole_message_gets_it_again_later(mail_server, reminder):
    mail_server(AnswersAfterQueueing(answer="451 4.3.0 Try again later"))

    assert messages_send(message_ids=[reminder.pk]) == {"retry": 1}

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.sent_at) == (MessageStatus.PENDING, 1, None)
    assert "451" in reminder.last_error


def test_a_server_that_refuses_the_whole_message_for_good_fails_it(mail_server, reminder):
    mail_server(AnswersAfterQueueing(answer="554 5.7.1 Message rejected"))

    assert messages_send(message_ids=[reminder.pk]) == {"failed": 1}

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (MessageStatus.FAILED, 1)
    assert "554" in reminder.last_error
