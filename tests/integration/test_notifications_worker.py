"""Real Celery workers on real Redis deliver 1,000 due reminders to a local SMTP server.

Two workers run side by side, each with its own beat, so two dispatchers claim rows at the same moments.
Both are killed with SIGKILL in the middle of the batch and restarted; every reminder is marked sent once and
arrives at most once, and a booking that rolled back sends nothing.

A send commits its "sent" mark and writes the SMTP end-of-data mark back to back (apps.core.mail.commit_releasing): a
process killed between those two system calls has committed the mark without ending the message. That gap is what
the design leaves open, so a killed sending process may lose the one message it was ending, never more, and never
sends one twice; on a busy machine a process descheduled between the two calls makes it happen now and then."""

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from apps.core import clock
from apps.notifications.models import Message, MessageStatus
from apps.patients.models import Patient
from apps.scheduling.models import Appointment
from apps.scheduling.reminders import appointment_reminders_schedule
from tests.factories import PatientFactory, ServiceTypeFactory, TherapistFactory
from tests.integration.conftest import redis_emptied

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/11"
BASE_DIR = Path(settings.BASE_DIR)
THERAPISTS, SLOTS = 20, 50  # 1,000 sessions within the next 48 hours: every reminder is due now
KILLED_SENDERS = 2 * 2  # two workers of two pool processes each: at most one message lost by each


def _book_due_sessions() -> list[Appointment]:
    service = ServiceTypeFactory()
    therapists = [TherapistFactory() for _ in range(THERAPISTS)]
    patients = Patient.objects.bulk_create(
        Patient(
            chart_number=f"W{i:06d}",
            legal_first_name=f"Pat{i}",
            legal_last_name="Worker",
            date_of_birth=dt.date(1980, 1, 1),
            email=f"patient{i}@example.test",
        )
        for i in range(THERAPISTS * SLOTS)
    )
    first = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            therapist=therapist,
            patient=patients[t * SLOTS + s],
            service_type=service,
            start=first + dt.timedelta(minutes=45 * s),
            end=first + dt.timedelta(minutes=45 * (s + 1)),
        )
        for t, therapist in enumerate(therapists)
        for s in range(SLOTS)
    )
    with transaction.atomic():
        for appointment in Appointment.objects.select_related("patient", "therapist", "room").filter(
            pk__in=[a.pk for a in appointments]
        ):
            appointment_reminders_schedule(appointment=appointment)
    return appointments


def _book_and_roll_back() -> None:
    patient = PatientFactory(email="rolled.back@example.test")
    with pytest.raises(RuntimeError), transaction.atomic():
        appointment = Appointment.objects.create(
            therapist=TherapistFactory(),
            patient=patient,
            service_type=ServiceTypeFactory(),
            start=clock.now() + dt.timedelta(hours=3),
            end=clock.now() + dt.timedelta(hours=4),
        )
        appointment_reminders_schedule(appointment=appointment)
        raise RuntimeError("booking failed")


class Worker:
    """`celery -A clinic worker -B` in its own process group, pointed at the test database and Redis DB 11."""

    def __init__(self, *, name: str, smtp_port: int, queue: str, workdir: str):
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": REDIS_TEST_URL,
            "CELERY_BROKER_URL": REDIS_TEST_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "CLINIC_NOTIFICATIONS_QUEUE": queue,
            "CLINIC_DISPATCH_INTERVAL_SECONDS": "1",
            "CLINIC_DISPATCH_BATCH_SIZE": "250",
            "CLINIC_MESSAGE_CLAIM_SECONDS": "6",
            "CLINIC_LOG_LEVEL": "WARNING",
        }
        self.name = name
        self.queue = queue
        self.workdir = workdir
        self.process = None

    def start(self) -> None:
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery), "-A", "clinic", "worker", "-B",
            "--pool=prefork", "--concurrency=2", "-Q", self.queue, "--loglevel=WARNING",
            f"--schedule={self.workdir}/{self.name}-beat-schedule", f"--hostname={self.name}-{uuid.uuid4().hex[:6]}@%h",
        ]  # fmt: skip
        with open(Path(self.workdir) / f"{self.name}.log", "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL to the whole group: the worker, its pool processes and its beat, mid-whatever."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _wait_until(predicate, *, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def redis_db11():
    yield from redis_emptied(REDIS_TEST_URL)


def test_workers_killed_mid_batch_and_restarted_send_each_reminder_once_and_never_twice(redis_db11, smtp):
    appointments = _book_due_sessions()
    _book_and_roll_back()
    expected = {f"<message-{pk}@clinic.localhost>" for pk in Message.objects.values_list("pk", flat=True)}
    assert len(expected) == len(appointments) == 1000

    handler = smtp.handler
    queue = f"test-notifications-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as workdir:
        workers = [Worker(name=n, smtp_port=smtp.port, queue=queue, workdir=workdir) for n in ("alpha", "beta")]
        try:
            for worker in workers:
                worker.start()
            assert _wait_until(lambda: len(handler.messages) >= 200, timeout=90), _log(workdir)
            for worker in workers:
                worker.kill()
            at_kill = len(handler.messages)
            assert at_kill < 1000, "the batch finished before the workers were killed"

            for worker in workers:
                worker.start()
            assert _wait_until(_all_marked_sent, timeout=150, step=0.1), _progress(handler, workdir)
            # Let both beats dispatch a few more times: a duplicate would show up now.
            time.sleep(3)
        finally:
            for worker in workers:
                worker.kill()

    counts = handler.counts()
    assert max(counts.values()) == 1, {k: v for k, v in counts.items() if v > 1}
    assert set(counts) <= expected
    lost = expected - set(counts)
    assert len(lost) <= KILLED_SENDERS, (len(lost), sorted(lost))
    assert not any("rolled.back@example.test" in m["to"] for m in handler.messages)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 1000


def _all_marked_sent() -> bool:
    return not Message.objects.exclude(status=MessageStatus.SENT).exists()


def _progress(handler, workdir: str) -> str:
    statuses = dict(Message.objects.values_list("status").annotate(n=Count("id")).order_by())
    return f"delivered {len(handler.messages)}, rows by status {statuses}\n{_log(workdir)}"


def _log(workdir: str) -> str:
    return "\n".join(path.read_text()[-2000:] for path in sorted(Path(workdir).glob("*.log"))) or "(no worker log)"
