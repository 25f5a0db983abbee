"""A send task keeps to its time: a stalled mail server costs it what it has, no more, and no failure is lost.

A mail server that accepts connections and never greets makes every message wait its full EMAIL_TIMEOUT. The task
stops taking messages before its soft time limit and hands the rest back untried; when the limit strikes anyway
(billiard raises SoftTimeLimitExceeded in the middle of whatever the task is doing), the failures already met are
recorded all the same.
"""

import signal
import socket
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from apps.core import clock
from apps.notifications.checks import send_task_time_check
from apps.notifications.delivery import messages_claim_due, messages_send
from apps.notifications.models import Message, MessageStatus
from apps.notifications.tasks import send_messages

from .conftest import reminders_due_for_patients

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_mail_server(settings):
    """A TCP listener on 127.0.0.1 that accepts every connection and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = 0.5
    yield
    listener.close()
    for conn in held:
        conn.close()


def _claimed_reminders(count: int) -> list[Message]:
    """One email reminder for each of `count` patients, due now and claimed by a dispatch, oldest first."""
    rows = reminders_due_for_patients(count)
    assert messages_claim_due() == [r.pk for r in rows]
    return rows


def _tried_and_untried(rows: list[Message]) -> tuple[list[Message], list[Message]]:
    for row in rows:
        row.refresh_from_db()
    tried = [r for r in rows if r.attempts]
    return tried, [r for r in rows if not r.attempts]


def test_a_task_stops_taking_messages_before_its_time_runs_out_and_hands_the_rest_back(
    clinic, silent_mail_server, settings
):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 2
    rows = _claimed_reminders(10)

    began = time.monotonic()
    outcomes = send_messages([r.pk for r in rows])

    assert time.monotonic() - began < 2  # the soft limit never struck
    tried, untried = _tried_and_untried(rows)
    assert outcomes == {"retry": len(tried), "released": len(untried)}
    assert tried and untried
    assert tried == rows[: len(tried)]  # oldest first, and none skipped over
    for row in tried:
        assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)
        assert row.send_at > clock.now() and "Mail server error" in row.last_error
    for row in untried:
        assert (row.status, row.claimed_until, row.last_error) == (MessageStatus.PENDING, None, "")
    # The next dispatch hands the untried ones out at once; the tried ones wait for their retry.
    assert messages_claim_due() == [r.pk for r in untried]


@pytest.fixture
def soft_time_limit():
    """soft_time_limit(seconds): raise SoftTimeLimitExceeded in this process after `seconds`, as a Celery worker's
    pool does when a task overruns its soft limit (a signal whose handler raises it)."""

    def strike(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, strike)
    yield lambda seconds: signal.setitimer(signal.ITIMER_REAL, seconds)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_batch_the_soft_time_limit_cuts_short_keeps_the_failures_it_met(
    clinic, silent_mail_server, soft_time_limit, settings
):
    settings.EMAIL_TIMEOUT = 1  # long waits, so that the limit strikes in one rather than in a query
    rows = _claimed_reminders(6)

    soft_time_limit(2.5)  # in the third message's wait for a greeting
    outcomes = messages_send(message_ids=[r.pk for r in rows])

    tried, untried = _tried_and_untried(rows)
    assert outcomes == {"retry": len(tried), "released": len(untried)}
    assert tried and untried
    for row in tried:
        assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)
        assert row.send_at > clock.now()
    assert "Mail server error" in tried[0].last_error
    assert tried[-1].last_error == "Sending was interrupted (SoftTimeLimitExceeded)."
    assert all(row.claimed_until is None for row in untried)


def test_an_unexpected_error_on_one_message_is_a_failure_of_that_message_alone(clinic, monkeypatch):
    from apps.notifications import delivery

    broken, fine = _claimed_reminders(2)
    hand_over = delivery._hand_over

    def hand_over_or_break(message, *args):
        if message.pk == broken.pk:
            raise KeyError("a provider's surprise")
        return hand_over(message, *args)

    monkeypatch.setattr(delivery, "_hand_over", hand_over_or_break)
    assert messages_send(message_ids=[broken.pk, fine.pk]) == {"retry": 1, "sent": 1}
    broken.refresh_from_db()
    assert (broken.status, broken.attempts, broken.last_error) == (
        MessageStatus.PENDING,
        1,
        "Sending was interrupted (KeyError).",
    )


def test_the_default_send_task_fits_its_messages_in_its_time(settings):
    assert send_task_time_check(None) == []


def test_send_tasks_whose_messages_cannot_all_wait_out_their_timeouts_are_flagged(settings):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 100
    settings.CLINIC_SEND_TASK_SIZE, settings.EMAIL_TIMEOUT, settings.TWILIO_TIMEOUT = 20, 30, 20
    [warning] = send_task_time_check(None)
    assert warning.id == "notifications.W003"
    assert "600 s" in warning.msg
