"""Email over SMTP commits before the end-of-data mark; SMS goes through Twilio's SDK to its API."""

import base64
import datetime as dt
import socket
from email import message_from_bytes

import pytest
import time_machine

from apps.core import clock
from apps.core.kept import held_release
from apps.core.mail import email_connection
from apps.notifications.channels import Outgoing, Rendered, deliver_email
from apps.notifications.delivery import message_send, messages_send
from apps.notifications.models import Message, MessageStatus
from apps.notifications.outbox import message_enqueue
from apps.scheduling.reminders import appointment_reminders_schedule

from .conftest import reminders_due_for_patients

pytestmark = pytest.mark.django_db

RENDERED = Rendered(subject="Hello", text="Plain body\n.starts with a dot\n", html="<p>HTML body</p>", sms="")


def test_smtp_delivers_only_after_the_end_of_data_mark(smtp_settings):
    handover = deliver_email(Outgoing(message_id=1, to_address="a@example.test", rendered=RENDERED))
    assert smtp_settings.counts() == {}
    handover.release()
    handover.finish()
    [received] = smtp_settings.messages
    assert received["to"] == ["a@example.test"]
    assert received["message_id"].startswith("<message-1@")
    email = message_from_bytes(received["content"])
    assert ".starts with a dot" in email.get_payload()[0].get_payload()


def test_a_sender_that_stops_before_its_commit_delivers_nothing(smtp_settings):
    handover = deliver_email(Outgoing(message_id=2, to_address="b@example.test", rendered=RENDERED))
    handover.abort()
    again = deliver_email(Outgoing(message_id=2, to_address="b@example.test", rendered=RENDERED))
    again.release()
    again.finish()
    assert smtp_settings.counts() == {"<message-2@clinic.localhost>": 1}


def test_a_batch_shares_one_connection_and_each_message_arrives_once(personas, clinic, smtp_settings):
    from tests.factories import AppointmentFactory

    appointments = [AppointmentFactory(therapist=personas.therapist, patient=personas.patient)]
    appointments.append(
        AppointmentFactory(
            therapist=personas.therapist, patient=personas.patient, start=appointments[0].start + dt.timedelta(hours=2)
        )
    )
    rows = [r for a in appointments for r in appointment_reminders_schedule(appointment=a)]
    Message.objects.update(send_at=clock.now())
    assert messages_send(message_ids=[r.pk for r in rows] * 2) == {"sent": 2, "skipped": 2}
    assert sorted(smtp_settings.counts().values()) == [1, 1]


def test_an_outbox_email_reaches_the_smtp_server_once(appointment, smtp_settings):
    [row] = appointment_reminders_schedule(appointment=appointment)
    Message.objects.filter(pk=row.pk).update(send_at=clock.now())
    assert message_send(message_id=row.pk) == "sent"
    assert message_send(message_id=row.pk) == "skipped"
    assert list(smtp_settings.counts().values()) == [1]


def _sms(appointment, personas, set_reminders):
    set_reminders(email=True, sms=True)
    return message_enqueue(
        channel="sms",
        to_address=personas.patient.phone,
        purpose="reminder_sms",
        template="appointment_reminder",
        subject=appointment,
        send_at=clock.now(),
        dedupe_key="sms:1",
        patient=personas.patient,
        context={"start": appointment.start.isoformat(), "therapist_first_name": "Theo", "cancel_url": "https://c/x"},
    )


@pytest.fixture
def daytime():
    noon = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(12))
    with time_machine.travel(noon, tick=False):
        yield noon


def test_a_text_goes_to_twilios_api_with_a_status_callback(appointment, personas, twilio_api, daytime, set_reminders):
    row = _sms(appointment, personas, set_reminders)
    assert message_send(message_id=row.pk) == "sent"
    [request] = twilio_api.requests
    assert request["path"] == f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Messages.json"
    assert request["form"]["To"] == personas.patient.phone
    assert request["form"]["From"] == "+16175550000"
    assert request["form"]["StatusCallback"].endswith("/messages/twilio/status/")
    assert "Reply C to confirm" in request["form"]["Body"]
    user, _ = base64.b64decode(request["auth"].split()[1]).decode().split(":")
    assert user == "AC" + "0" * 32
    row.refresh_from_db()
    assert (row.status, row.provider_id) == (MessageStatus.SENT, "SM" + "1".zfill(32))


def test_a_number_twilio_rejects_fails_without_retrying(appointment, personas, twilio_api, daytime, set_reminders):
    twilio_api.fail_with = (400, 21211)
    row = _sms(appointment, personas, set_reminders)
    assert message_send(message_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED
    assert "21211" in row.last_error


def test_twilio_being_down_is_retried(appointment, personas, twilio_api, daytime, set_reminders):
    twilio_api.fail_with = (503, 20500)
    row = _sms(appointment, personas, set_reminders)
    assert message_send(message_id=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_commit_and_end_of_data_leave_together(smtp_settings):
    from tests.factories import AppointmentFactory, PatientFactory, TherapistFactory

    appointment = AppointmentFactory(therapist=TherapistFactory(), patient=PatientFactory())
    [row] = appointment_reminders_schedule(appointment=appointment)
    Message.objects.filter(pk=row.pk).update(send_at=clock.now())
    assert messages_send(message_ids=[row.pk, row.pk]) == {"sent": 1, "skipped": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MessageStatus.SENT, 1)
    assert list(smtp_settings.counts().values()) == [1]


def test_a_batch_of_reminders_goes_out_over_one_smtp_connection(clinic, smtp_settings):
    rows = reminders_due_for_patients(5)

    assert messages_send(message_ids=[r.pk for r in rows]) == {"sent": 5}

    assert len(smtp_settings.peers) == 1
    assert sorted(m["to"][0] for m in smtp_settings.messages) == sorted(r.to_address for r in rows)
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_a_recipient_deferred_in_the_middle_of_a_batch_is_retried_alone(clinic, smtp_settings):
    first, deferred, last = reminders_due_for_patients(3)
    smtp_settings.refuse[deferred.to_address] = "450 Mailbox busy, try again later"

    assert messages_send(message_ids=[first.pk, deferred.pk, last.pk]) == {"sent": 2, "retry": 1}

    # The refusal came before DATA: the batch went on over the same connection.
    assert len(smtp_settings.peers) == 1
    deferred.refresh_from_db()
    assert (deferred.status, deferred.attempts) == (MessageStatus.PENDING, 1)
    assert deferred.send_at > clock.now()
    assert "deferred" in deferred.last_error
    del smtp_settings.refuse[deferred.to_address]
    with time_machine.travel(deferred.send_at + dt.timedelta(seconds=1), tick=False):
        assert messages_send(message_ids=[first.pk, deferred.pk, last.pk]) == {"sent": 1, "skipped": 2}
    assert sorted(smtp_settings.counts().values()) == [1, 1, 1]


def test_an_address_the_server_rejects_for_good_fails_without_a_retry(clinic, smtp_settings):
    [row] = reminders_due_for_patients(1)
    smtp_settings.refuse[row.to_address] = "550 No such user"

    assert messages_send(message_ids=[row.pk]) == {"failed": 1}

    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED
    assert smtp_settings.counts() == {}


def test_the_end_of_data_mark_leaves_without_waiting_for_the_servers_ack(smtp_settings):
    # Nagle's algorithm would hold the lone end mark until the server acknowledged the body: ~40 ms a message.
    connection = email_connection()
    handover = deliver_email(
        Outgoing(message_id=3, to_address="c@example.test", rendered=RENDERED), connection=connection
    )
    assert connection.connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    handover.release()
    handover.finish()
    connection.close()
    assert smtp_settings.counts() == {"<message-3@clinic.localhost>": 1}


def _batch_queries(message_ids: list[int]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    held_release()  # each batch in a transaction of its own, as the worker sends it: nothing an earlier one read
    with CaptureQueriesContext(connection) as captured:
        assert messages_send(message_ids=message_ids) == {"sent": len(message_ids)}
    return [q["sql"] for q in captured.captured_queries]


def test_a_batch_is_read_and_rendered_at_once_and_each_message_costs_one_statement(clinic, smtp_settings):
    rows = reminders_due_for_patients(8)
    two, six = _batch_queries([r.pk for r in rows[:2]]), _batch_queries([r.pk for r in rows[2:]])

    def per_message(sql: str) -> bool:
        # Each message's lock-and-mark, in its own transaction (a savepoint here, inside the test's transaction).
        return sql.startswith(("UPDATE", "SAVEPOINT", "RELEASE SAVEPOINT"))

    rest_of_two, rest_of_six = [s for s in two if not per_message(s)], [s for s in six if not per_message(s)]
    assert len(rest_of_two) == len(rest_of_six), "\n".join(rest_of_six)
    # The batch's one read of its rows with their patients, one of the sessions its reminders are about (still
    # booked, at the time they tell), and the clinic's settings for every template.
    assert sum('FROM "notifications_message"' in sql for sql in rest_of_six) == 1
    assert sum('FROM "scheduling_appointment"' in sql for sql in rest_of_six) == 1
    assert len(rest_of_six) == 3, "\n".join(rest_of_six)
    assert sum(sql.startswith("UPDATE") for sql in two) == 2
    assert sum(sql.startswith("UPDATE") for sql in six) == 6


def test_a_row_changed_after_the_batch_read_it_is_not_sent_with_the_old_words(clinic, smtp_settings, monkeypatch):
    from apps.notifications import delivery

    first, changed = reminders_due_for_patients(2)
    render = delivery._render

    def render_then_change(message, **kwargs):
        if message.pk == changed.pk:  # e.g. the session moved away and back: the row is queued again, new details
            Message.objects.filter(pk=changed.pk).update(context={}, updated_at=clock.now() + dt.timedelta(seconds=1))
        return render(message, **kwargs)

    monkeypatch.setattr(delivery, "_render", render_then_change)
    assert messages_send(message_ids=[first.pk, changed.pk]) == {"sent": 1, "skipped": 1}
    changed.refresh_from_db()
    assert changed.status == MessageStatus.PENDING
    assert [m["to"] for m in smtp_settings.messages] == [[first.to_address]]


@pytest.mark.parametrize("debug", [True, False])
def test_the_console_texts_words_reach_the_log_only_in_development(settings, caplog, debug):
    """Under production settings (a demo), the console adapter logs that a text would have gone, not its words:
    they carry a patient's sessions and signed links."""
    from apps.notifications.channels import ConsoleSMS

    settings.DEBUG = debug
    body = "Reminder: Mon 10:00 AM with Dr. Chen. Cancel: https://clinic.test/r/signed-token"
    with caplog.at_level("INFO", logger="apps.notifications.channels"):
        ConsoleSMS().send(to="+16175550123", body=body, status_callback="")
    assert ("signed-token" in caplog.text) is debug
    assert ("+16175550123" in caplog.text) is debug
    assert "0123" in caplog.text
