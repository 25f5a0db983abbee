"""Two real `celery beat` processes and a worker on real Redis: a periodic job runs once per period, not twice.

Both beats schedule the same two-second job (tests/integration/beat_settings.py). Each claims the period before
sending (apps/core/beat.py), and the message carries the period claimed: the worker runs the job once in every
period, with no period skipped, however late it gets to a message."""

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.beat_probe import RUNS_KEY
from tests.integration.conftest import redis_emptied
from tests.integration.test_notifications_worker import BASE_DIR, _log, _wait_until

pytestmark = pytest.mark.integration

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"  # its own database: the other worker tests use 11 and 12
PERIOD = 2.0
PERIODS = 8


class CeleryProcess:
    """A `celery -A clinic ...` command in its own process group with the test's settings, logging to a file."""

    def __init__(self, name: str, args: list[str], workdir: str, *, redis_url: str = REDIS_TEST_URL, env=None):
        self.log = Path(workdir) / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.beat_settings",
            "DJANGO_DEBUG": "0",
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CLINIC_BEAT_PROBE_SECONDS": str(PERIOD),
            "CLINIC_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        command = [str(Path(sys.executable).with_name("celery")), "-A", "clinic", *args, "--loglevel=INFO"]
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@pytest.fixture
def redis_db15():
    yield from redis_emptied(REDIS_TEST_URL)


def _runs(client) -> list[int]:
    """The period each run of the probe belonged to, as its beat claimed it."""
    return [int(value) for value in client.lrange(RUNS_KEY, 0, -1)]


def test_two_beats_at_once_run_a_periodic_job_once_in_every_period(redis_db15):
    with tempfile.TemporaryDirectory() as workdir:
        processes = []
        try:
            worker = CeleryProcess(
                "worker", ["worker", "--pool=solo", f"--hostname=w-{uuid.uuid4().hex[:6]}@%h"], workdir
            )
            processes.append(worker)
            assert _wait_until(lambda: " ready." in worker.text(), timeout=60, step=0.1), _log(workdir)
            for name in ("beat-a", "beat-b"):
                processes.append(CeleryProcess(name, ["beat", f"--schedule={workdir}/{name}-schedule"], workdir))
            assert _wait_until(
                lambda: len(set(_runs(redis_db15))) > PERIODS, timeout=60 + PERIOD * PERIODS, step=0.1
            ), _log(workdir)
            beats_logs = [process.text() for process in processes[1:]]
        finally:
            for process in processes:
                process.stop()

    runs = Counter(_runs(redis_db15))
    assert max(runs.values()) == 1, f"runs per period: {runs}"
    assert sorted(runs) == list(range(min(runs), max(runs) + 1)), f"a period was skipped: {sorted(runs)}"
    # Both beats were due in every period: one sent, the other found the period already claimed.
    sent = [log.count("Sending due task beat-probe") for log in beats_logs]
    skipped = [log.count("beat-probe was already sent for this period") for log in beats_logs]
    assert all(sent[i] + skipped[i] >= PERIODS for i in range(2)) and sum(skipped) >= PERIODS - 1, (sent, skipped)
