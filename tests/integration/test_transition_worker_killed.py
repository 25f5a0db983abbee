"""A real Celery worker (with beat) sweeps deferred transitions on real Redis and Postgres; it is killed with
SIGKILL while a reaction is half-way through a transition, and a fresh worker finishes the job: every reaction
ran exactly once for every transition, and the killed transaction left nothing behind."""

import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from apps.audit.models import AccessLog
from apps.core.models import TransitionHandled
from apps.core.transitions import transitions_record
from apps.scheduling.models import AppointmentStatus, AppointmentTransition
from tests.factories import AppointmentFactory
from tests.integration.conftest import redis_emptied
from tests.integration.test_notifications_worker import BASE_DIR, Worker, _log, _wait_until
from tests.integration.transition_worker import REACTIONS

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/12"  # its own database: the notifications worker test uses 11
TRANSITIONS = 5


class SweepWorker(Worker):
    """The transition sweep's worker: the probe app, beat sweeping every second, Redis DB 12."""

    def __init__(self, *, name: str, workdir: str):
        super().__init__(name=name, smtp_port=0, queue="celery", workdir=workdir)
        self.env.update(
            REDIS_URL=REDIS_TEST_URL,
            CELERY_BROKER_URL=REDIS_TEST_URL,
            CLINIC_TRANSITION_SWEEP_SECONDS="1",
            CLINIC_TRANSITION_PROBE_DIR=workdir,
        )

    def start(self) -> None:
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery), "-A", "tests.integration.transition_worker", "worker", "-B",
            "--pool=prefork", "--concurrency=1", "--loglevel=WARNING",
            f"--schedule={self.workdir}/{self.name}-beat-schedule", f"--hostname={self.name}-{uuid.uuid4().hex[:6]}@%h",
        ]  # fmt: skip
        with open(Path(self.workdir) / f"{self.name}.log", "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )


@pytest.fixture
def redis_db12():
    yield from redis_emptied(REDIS_TEST_URL)


def _handled(transition) -> int:
    return TransitionHandled.objects.filter(
        transition_type="scheduling.appointmenttransition", transition_id=transition.pk
    ).count()


def test_a_worker_killed_mid_reaction_is_finished_by_the_next_and_each_reaction_runs_once(redis_db12):
    transitions = transitions_record(
        [
            AppointmentTransition(
                appointment=AppointmentFactory(), from_status="booked", to_status=AppointmentStatus.CHECKED_IN
            )
            for _ in range(TRANSITIONS)
        ],
        dispatch=False,  # left for the sweep
    )
    blocked_on = transitions[2]
    with tempfile.TemporaryDirectory() as workdir:
        (Path(workdir) / "block_on").write_text(str(blocked_on.pk))
        first, second = SweepWorker(name="first", workdir=workdir), SweepWorker(name="second", workdir=workdir)
        try:
            first.start()
            assert _wait_until(lambda: (Path(workdir) / "blocked").exists(), timeout=90), _log(workdir)
            first.kill()
            # Killed half-way through the third transition: the first two are complete, the third left nothing.
            assert [_handled(t) for t in transitions[:3]] == [3, 3, 0]
            assert not AccessLog.objects.filter(subject_id=str(blocked_on.pk), action__startswith="probe.").exists()

            second.start()
            done = lambda: all(_handled(t) == len(REACTIONS) for t in transitions)  # noqa: E731
            assert _wait_until(done, timeout=90, step=0.1), _log(workdir)
        finally:
            first.kill()
            second.kill()

    for transition in transitions:
        runs = AccessLog.objects.filter(subject_id=str(transition.pk), subject_type="scheduling.appointmenttransition")
        assert sorted(runs.values_list("action", flat=True)) == sorted(REACTIONS)
