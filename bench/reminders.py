"""Reminder fan-out: due reminders delivered by a real `celery -A clinic worker` (with its beat running the
outbox dispatcher) to a local SMTP server that counts what it accepts; the floor is raw SMTP sends to the
same server."""

import os
import sys
import threading
import time
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

from apps.core import clock
from apps.notifications.models import Message, MessageStatus

from . import fixtures, floors
from .run import REDIS_URL, Process

# Sending waits on the mail server, not the CPU: 8 processes on 2 cores deliver best (as docker-compose runs).
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "8"))


class Counter:
    """aiosmtpd handler: counts accepted messages."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.accepted += 1
        return "250 Message accepted"


class Sink(Controller):
    """An SMTP server on 127.0.0.1 on a port the OS picks."""

    def __init__(self, handler):
        super().__init__(handler, hostname="127.0.0.1", port=0)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _due_pending():
    """Due messages not yet sent, handed to a worker or not."""
    return Message.objects.filter(status=MessageStatus.PENDING, send_at__lte=clock.now())


def _wait(predicate, timeout: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def fan_out(bench, *, count: int) -> dict:
    counter = Counter()
    sink = Sink(counter)
    sink.start()
    queue = f"bench-notifications-{bench.run_id}"
    env = {
        **bench.env,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "CLINIC_NOTIFICATIONS_QUEUE": queue,
        "CLINIC_DISPATCH_INTERVAL_SECONDS": "1",
        "CLINIC_LOG_LEVEL": "INFO",
    }
    redis.Redis.from_url(REDIS_URL).flushdb()
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery, "-A", "clinic", "worker", "-B", "--pool=prefork", f"--concurrency={WORKER_CONCURRENCY}",
               "-Q", queue, "--loglevel=INFO", f"--schedule={bench.workdir}/beat-schedule",
               f"--hostname=bench-{bench.run_id}@%h"]  # fmt: skip
    worker = Process("worker", command, env, bench.workdir)
    bench.processes.append(worker)
    try:
        if not _wait(lambda: "ready." in worker.log.read_text(errors="replace"), timeout=60):
            raise RuntimeError(f"The worker did not start:\n{worker.tail()}")
        # Messages already due (e.g. the last run's statement notices) go out first, off the clock.
        backlog = _due_pending().count()
        if not _wait(lambda: not _due_pending().exists(), timeout=300, step=1):
            raise RuntimeError(f"The worker did not drain {backlog} due messages:\n{worker.tail()}")
        before = counter.accepted
        queueing = time.perf_counter()
        ids = fixtures.reminders_queue(count, bench.run_id)
        # The clock starts when the reminders are due in the outbox (committed), as beat finds them.
        started = time.perf_counter()
        queued = started - queueing
        sent = Message.objects.filter(pk__in=ids, status=MessageStatus.SENT)
        finished = _wait(lambda: sent.count() >= count, timeout=600, step=0.5)
        seconds = round(time.perf_counter() - started, 1)
        if not finished:
            raise RuntimeError(f"Only {sent.count()} of {count} reminders were sent:\n{worker.tail()}")
        accepted = counter.accepted - before
    finally:
        worker.stop()
        bench.processes.remove(worker)
    floor = floors.smtp_sends(sink.port, count, threads=WORKER_CONCURRENCY)
    sink.stop()
    return {
        "key": "reminders",
        "label": f"Reminder fan-out, {count:,} due reminders (Celery worker, {WORKER_CONCURRENCY} processes)",
        "kind": "batch",
        "scaled_down": count < 10_000,
        "seconds": seconds,
        "rate": f"{count / seconds:.0f} messages/s; {accepted:,} accepted by the SMTP server; "
        f"queued in {queued:.1f}s before the clock; {backlog} earlier due messages sent first, off the clock",
        "floor": {
            **floor,
            "text": f"{floor['messages']:,} messages over {floor['threads']} connections in {floor['seconds']} s "
            f"({floor['per_second']}/s)",
        },
    }
