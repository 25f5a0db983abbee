"""A task renamed or moved keeps its former name on the worker: a message queued under the old name before a deploy
(a beat tick, an email asked for a moment before) is run by the worker after it, through the task that does that
work now, instead of being dropped as an unregistered task."""

import email
import re

import pytest

from apps.accounts.models import AccountEmail
from clinic.celery import app
from tests.integration.conftest import redis_emptied
from tests.integration.test_notifications_worker import _log, _wait_until
from tests.integration.worker_process import smtp_env, worker_on_test_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"  # its own database: the other worker tests use 9 to 13 and 15

# Former name -> the task that does its work now.
MOVED = {
    "apps.programs.tasks.expire_seat_offers": "apps.waitlist.tasks.expire_offers",
    "apps.programs.tasks.offer_ended_series_slots": "apps.waitlist.tasks.offer_ended_series_slots",
}


@pytest.fixture
def redis_db14():
    yield from redis_emptied(REDIS_TEST_URL)


@pytest.fixture
def worker(redis_db14, smtp, tmp_path):
    yield from worker_on_test_database(redis_url=REDIS_TEST_URL, workdir=tmp_path, env=smtp_env(smtp))


def _send(name: str, *args) -> None:
    """A message under `name`, as a process of the earlier release queued it (by name: this release has no such
    task object to send it through)."""
    with app.connection_for_write(REDIS_TEST_URL) as broker:
        app.send_task(name, args=list(args), connection=broker)


def _succeeded(worker, name: str) -> bool:
    return re.search(rf"Task {re.escape(name)}\[[^\]]+\] succeeded", worker.text()) is not None


def _subject(message) -> str:
    """What the email says was changed, without the clinic's name it starts with."""
    subject = email.message_from_bytes(message["content"])["Subject"]
    return next(told for told in ("password was changed", "sign-in email was changed") if subject.endswith(told))


def test_the_seat_offer_tasks_queued_under_their_names_in_programs_run_as_the_waitlists(worker, tmp_path):
    for former in MOVED:
        _send(former)
    for former, current in MOVED.items():
        assert _wait_until(lambda f=former, c=current: _succeeded(worker, f) and _succeeded(worker, c), timeout=30), (
            _log(str(tmp_path))
        )
    assert "unregistered task" not in worker.text()


def test_the_account_notices_queued_under_their_former_names_are_recorded_and_emailed(personas, worker, smtp, tmp_path):
    user = personas.patient_user
    _send("apps.accounts.tasks.password_changed_notice_send", user.pk)
    _send("apps.accounts.tasks.sign_in_email_changed_notice_send", user.pk, "earlier@example.test")
    assert _wait_until(lambda: len(smtp.handler.messages) == 3, timeout=30, step=0.1), _log(str(tmp_path))
    told = sorted((tuple(message["to"]), _subject(message)) for message in smtp.handler.messages)
    assert told == [
        (("earlier@example.test",), "sign-in email was changed"),
        ((user.email,), "password was changed"),
        ((user.email,), "sign-in email was changed"),
    ]
    assert AccountEmail.objects.filter(user=user, sent_at__isnull=False).count() == 3
    assert "unregistered task" not in worker.text()
