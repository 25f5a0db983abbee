"""Dispatch claims due rows once; sending delivers each at most once, retries with backoff, then fails."""

import datetime as dt
import os

import pytest
import time_machine
from django.core import mail
from django.db import connection

from apps.core import clock
from apps.notifications.delivery import message_send, messages_claim_due, retry_delay
from apps.notifications.models import Message, MessageStatus
from apps.notifications.outbox import message_enqueue
from apps.patients.models import Patient
from tests.factories import AppointmentFactory, PatientFactory, TherapistFactory
from tests.locking import at_once


def _queue(appointment, *, n=1, send_at=None, channel="email", purpose="reminder_email"):
    patient = appointment.patient
    rows = []
    for i in range(n):
        rows.append(
            message_enqueue(
                channel=channel,
                to_address=patient.phone if channel == "sms" else patient.email,
                purpose=purpose,
                template="appointment_reminder",
                subject=appointment,
                send_at=send_at or clock.now() - dt.timedelta(minutes=1),
                dedupe_key=f"test:{channel}:{i}",
                patient=patient,
                context={
                    "appointment_id": appointment.pk,
                    "start": appointment.start.isoformat(),
                    "patient_first_name": "Pat",
                    "therapist_first_name": "Theo",
                    "is_telehealth": False,
                    "telehealth_url": "",
                    "room_name": "Room 2",
                    "confirm_url": "https://clinic.example/c",
                    "cancel_url": "https://clinic.example/x",
                },
            )
        )
    return rows


@pytest.mark.django_db
def test_dispatch_claims_only_due_pending_messages_oldest_first(appointment):
    now = clock.now()
    early, late = _queue(appointment, n=2)
    Message.objects.filter(pk=early.pk).update(send_at=now - dt.timedelta(hours=1))
    [future] = _queue(appointment, n=1, send_at=now + dt.timedelta(hours=1), channel="sms", purpose="seat_offer")
    Message.objects.filter(pk=late.pk).update(send_at=now - dt.timedelta(minutes=5))
    assert messages_claim_due() == [early.pk, late.pk]


@pytest.mark.django_db
def test_a_claimed_message_is_handed_out_again_only_after_its_lease(appointment, settings):
    settings.CLINIC_MESSAGE_CLAIM_SECONDS = 300
    [row] = _queue(appointment)
    assert messages_claim_due() == [row.pk]
    assert messages_claim_due() == []
    with time_machine.travel(clock.now() + dt.timedelta(seconds=301)):
        assert messages_claim_due() == [row.pk]


@pytest.mark.django_db
def test_claiming_respects_the_batch_size(appointment):
    rows = _queue(appointment, n=5)
    assert messages_claim_due(limit=3) == [r.pk for r in rows[:3]]
    assert messages_claim_due(limit=3) == [r.pk for r in rows[3:]]


@pytest.mark.django_db
def test_sending_an_email_marks_it_sent(appointment):
    [row] = _queue(appointment)
    assert message_send(message_id=row.pk) == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MessageStatus.SENT, 1)
    assert row.sent_at is not None
    [email] = mail.outbox
    assert email.to == [appointment.patient.email]
    assert email.extra_headers["Message-ID"].startswith(f"<message-{row.pk}@")
    assert email.alternatives[0].mimetype == "text/html"


@pytest.mark.django_db
def test_sending_again_does_nothing(appointment):
    [row] = _queue(appointment)
    assert message_send(message_id=row.pk) == "sent"
    assert message_send(message_id=row.pk) == "skipped"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_message_not_yet_due_is_not_sent(appointment):
    [row] = _queue(appointment, send_at=clock.now() + dt.timedelta(hours=1))
    assert message_send(message_id=row.pk) == "not_due"
    assert mail.outbox == []


@pytest.mark.django_db
def test_failures_retry_with_exponential_backoff_then_fail(appointment, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.CLINIC_MESSAGE_MAX_ATTEMPTS = 3
    settings.CLINIC_MESSAGE_RETRY_BASE_SECONDS = 60
    [row] = _queue(appointment)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        assert message_send(message_id=row.pk) == "retry"
        row.refresh_from_db()
        assert (row.status, row.attempts, row.send_at) == ("pending", 1, clock.now() + dt.timedelta(seconds=60))
        assert "Mail server error" in row.last_error
        assert message_send(message_id=row.pk) == "not_due"
        traveller.shift(dt.timedelta(seconds=60))
        assert message_send(message_id=row.pk) == "retry"
        row.refresh_from_db()
        assert row.send_at == clock.now() + dt.timedelta(seconds=120)
        traveller.shift(dt.timedelta(seconds=120))
        assert message_send(message_id=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MessageStatus.FAILED, 3)


def test_backoff_doubles():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


@pytest.mark.django_db
def test_a_text_to_a_patient_who_replied_stop_is_cancelled_when_due(appointment, personas, twilio_api, set_reminders):
    set_reminders(email=True, sms=True)
    # Midday, so the text is due now rather than held back by quiet hours.
    with time_machine.travel(clock.local_datetime(clock.local_now().date(), dt.time(12)), tick=False):
        [row] = _queue(appointment, channel="sms", purpose="reminder_sms")
        _behind_the_services_back(
            personas.patient, sms_opted_out_at=clock.now(), sms_consent_at=None, reminder_sms=False
        )
        assert message_send(message_id=row.pk) == "cancelled"
    row.refresh_from_db()
    assert row.status == MessageStatus.CANCELLED
    assert twilio_api.requests == []


@pytest.mark.django_db
def test_a_text_falling_due_in_quiet_hours_waits_for_the_morning(appointment, personas, twilio_api, set_reminders):
    set_reminders(email=True, sms=True)
    night = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(22, 30))
    [row] = _queue(appointment, channel="sms", purpose="reminder_sms", send_at=night - dt.timedelta(hours=3))
    with time_machine.travel(night, tick=False):
        assert message_send(message_id=row.pk) == "deferred"
    row.refresh_from_db()
    assert row.send_at == clock.local_datetime(night.date() + dt.timedelta(days=1), dt.time(8))
    assert twilio_api.requests == []


@pytest.mark.django_db
def test_an_email_reminder_is_not_sent_after_the_patient_turned_them_off(appointment, personas):
    [row] = _queue(appointment)
    _behind_the_services_back(personas.patient, reminder_email=False)
    assert message_send(message_id=row.pk) == "cancelled"
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_email_reminder_is_not_sent_to_an_address_that_is_no_longer_the_patients(appointment, personas):
    [row] = _queue(appointment)
    _behind_the_services_back(personas.patient, email="pat.new@example.test")
    assert message_send(message_id=row.pk) == "cancelled"
    assert mail.outbox == []
    row.refresh_from_db()
    assert (
        row.last_error
        == "The patient's email changed after this was queued: not sent to an address that is no longer theirs."
    )


def _behind_the_services_back(patient, **chart):
    """Change the chart without the services, which would withdraw the queued reminders at once (as a booking racing
    the change can queue one from the chart it read before): the send itself must still refuse."""
    Patient.objects.filter(pk=patient.pk).update(**chart)


# ------------------------------------------------------------------------------------------------------------
# Concurrency: real threads against real Postgres, released together.


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_send_nothing_twice(clinic):
    appointment = AppointmentFactory(therapist=TherapistFactory(), patient=PatientFactory())
    rows = _queue(appointment, n=60)

    def dispatcher():
        claimed, sent = [], []
        while ids := messages_claim_due(limit=7):
            claimed += ids
            sent += [i for i in ids if message_send(message_id=i) == "sent"]
        return claimed, sent

    outcomes = at_once(dispatcher, dispatcher)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    (claimed_a, sent_a), (claimed_b, sent_b) = outcomes
    assert not set(claimed_a) & set(claimed_b)
    assert len(sent_a + sent_b) == len(set(sent_a + sent_b))
    # A row the other dispatcher's claim query held locked for a moment is stepped over (SKIP LOCKED) and stays
    # pending under its lease; once the lease runs out the next dispatch sends it.
    late = Message.objects.filter(status=MessageStatus.PENDING)
    late.update(claimed_until=None)
    _, sent_late = dispatcher()
    assert sorted(sent_a + sent_b + sent_late) == sorted(r.pk for r in rows)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.to_address for r in rows)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 60


@pytest.mark.django_db(transaction=True)
def test_the_same_message_sent_by_four_tasks_at_once_goes_out_once(clinic):
    appointment = AppointmentFactory(therapist=TherapistFactory(), patient=PatientFactory())
    [row] = _queue(appointment)
    outcomes = at_once(*[lambda: message_send(message_id=row.pk)] * 4)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count("sent") == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_message_whose_template_is_missing_fails_for_staff_to_see(appointment):
    [row] = _queue(appointment)
    Message.objects.filter(pk=row.pk).update(template="no_such_template")
    assert message_send(message_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED
    assert "no_such_template" in row.last_error


@pytest.mark.django_db
def test_the_send_task_takes_ids_and_sends(appointment):
    from apps.notifications.tasks import send_messages

    rows = _queue(appointment, n=3)
    assert send_messages([r.pk for r in rows]) == {"sent": 3}
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_a_sender_whose_database_socket_is_numbered_above_1023_still_sends(clinic):
    """A long-running worker holds many descriptors: the commit that goes out with the message must not wait on
    its socket with select(), which refuses any numbered above 1023."""
    appointment = AppointmentFactory(therapist=TherapistFactory(), patient=PatientFactory())
    [row] = _queue(appointment)
    connection.close()
    held = [os.open(os.devnull, os.O_RDONLY)]
    while held[-1] < 1024:  # every lower number taken: the next connection's socket is numbered above them
        held.append(os.open(os.devnull, os.O_RDONLY))
    try:
        assert message_send(message_id=row.pk) == "sent"
        assert connection.connection.pgconn.socket > 1023
    finally:
        for fd in held:
            os.close(fd)
    assert [m.to[0] for m in mail.outbox] == [row.to_address]
