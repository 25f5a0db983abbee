"""Reminder fan-out: due reminders delivered by a real `celery -A clinic worker` (with its beat running the
outbox dispatcher at the production interval) to a local SMTP server in its own process that counts what it
accepts; the floor is raw SMTP sends to the same server from as many client processes as the worker has."""

import multiprocessing
import os
import sys
import time
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from apps.core import clock
from apps.core.mail_wire import email_bytes
from apps.notifications.channels import Outgoing, email_for
from apps.notifications.models import Message, MessageStatus
from apps.notifications.rendering import message_render

from . import fixtures, floors
from .run import REDIS_URL, Process
from .stats import latency_of

# Sending waits on the mail server, not the CPU: 8 processes on 2 cores deliver best (as docker-compose runs).
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "8"))
# The reminders' sending rate must reach this share of raw SMTP sends at the same concurrency (issue #19).
MIN_SHARE_OF_RAW_SMTP = 0.5
BEAT_LINE = "Scheduler: Sending due task notifications-dispatch-due"

_CONTEXT = multiprocessing.get_context("fork")


class Counter:
    """aiosmtpd handler: counts accepted messages in a number shared with the benchmark's process."""

    def __init__(self, accepted):
        self.accepted = accepted

    async def handle_DATA(self, server, session, envelope):
        with self.accepted.get_lock():
            self.accepted.value += 1
        return "250 Message accepted"


class Sink(Controller):
    """An SMTP server on 127.0.0.1 on a port the OS picks."""

    def __init__(self, handler):
        super().__init__(handler, hostname="127.0.0.1", port=0)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _serve(accepted, ports, stop) -> None:
    sink = Sink(Counter(accepted))
    sink.start()
    ports.send(sink.port)
    stop.wait()
    sink.stop()


class SinkProcess:
    """The SMTP server in its own process, so neither the worker's nor the floor's sends share an interpreter
    with the server that answers them."""

    def __init__(self):
        self.accepted = _CONTEXT.Value("q", 0)
        self._stop = _CONTEXT.Event()
        receiver, sender = _CONTEXT.Pipe(duplex=False)
        self._process = _CONTEXT.Process(target=_serve, args=(self.accepted, sender, self._stop), daemon=True)
        self._process.start()
        if not receiver.poll(30):
            raise RuntimeError("The SMTP sink did not start.")
        self.port = receiver.recv()

    @property
    def count(self) -> int:
        return self.accepted.value

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=20)


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


def _ticks(worker: Process) -> int:
    """How many times beat has sent the dispatcher so far."""
    return worker.log.read_text(errors="replace").count(BEAT_LINE)


def fan_out(bench, *, count: int) -> dict:
    interval = settings.CLINIC_DISPATCH_INTERVAL_SECONDS
    sink = SinkProcess()
    queue = f"bench-notifications-{bench.run_id}"
    env = {
        **bench.env,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "CLINIC_NOTIFICATIONS_QUEUE": queue,
        "CLINIC_DISPATCH_INTERVAL_SECONDS": str(interval),
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
        if not _wait(lambda: not _due_pending().exists(), timeout=300 + 2 * interval, step=1):
            raise RuntimeError(f"The worker did not drain {backlog} due messages:\n{worker.tail()}")
        # Reminders fall due at any moment between two dispatcher runs. They are queued halfway between two, so
        # the wait for the dispatcher is the average wait, neither the luckiest nor the worst.
        ticks = _ticks(worker)
        if not _wait(lambda: _ticks(worker) > ticks, timeout=2 * interval + 30, step=0.2):
            raise RuntimeError(f"The dispatcher did not run:\n{worker.tail()}")
        time.sleep(interval / 2)
        before = sink.count
        queueing = time.perf_counter()
        ids = fixtures.reminders_queue(count, bench.run_id)
        # The clock starts when the reminders are due in the outbox (committed), as beat finds them.
        started = time.perf_counter()
        due_at = clock.now()
        queued = started - queueing
        sent = Message.objects.filter(pk__in=ids, status=MessageStatus.SENT)
        finished = _wait(lambda: sent.count() >= count, timeout=600 + interval, step=0.5)
        seconds = round(time.perf_counter() - started, 1)
        if not finished:
            raise RuntimeError(f"Only {sent.count()} of {count} reminders were sent:\n{worker.tail()}")
        accepted = sink.count - before
        sent_at = sorted(sent.values_list("sent_at", flat=True))
    finally:
        worker.stop()
        bench.processes.remove(worker)
    floor = floors.smtp_sends(sink.port, count, clients=WORKER_CONCURRENCY, messages=finished_messages(ids))
    sink.stop()
    return reminders_result(
        count=count,
        seconds=seconds,
        due_at=due_at,
        sent_at=sent_at,
        floor=floor,
        interval=interval,
        notes=f"{accepted:,} accepted by the SMTP server; queued in {queued:.1f}s before the clock; "
        f"{backlog} earlier due messages sent first, off the clock",
    )


def finished_messages(ids: list[int], *, sample: int = 200) -> list[tuple[str, str, bytes]]:
    """The finished bytes of some of the reminders just sent, as the app renders them (sender, recipient, data):
    the raw SMTP floor sends the same messages, so only what happens before the wire differs."""
    messages = []
    for message in Message.objects.filter(pk__in=ids[:sample]):
        rendered = message_render(template=message.template, context=message.context, channel=message.channel)
        email = email_for(Outgoing(message_id=message.pk, to_address=message.to_address, rendered=rendered))
        data = email_bytes(email)
        messages.append((settings.DEFAULT_FROM_EMAIL, message.to_address, data))
    return messages


def reminders_result(*, count, seconds, due_at, sent_at, floor, interval, notes) -> dict:
    """The fan-out's figures: the time from due to the last one sent, the dispatch latency (due → sent) of every
    reminder, and the sending rate (first sent to last sent) as a share of raw SMTP sends."""
    latency = latency_of([max((at - due_at).total_seconds(), 0.0) for at in sent_at])
    sending = (sent_at[-1] - sent_at[0]).total_seconds()
    sending_rate = round(count / sending, 1) if sending > 0 else float(count)
    return {
        "key": "reminders",
        "label": f"Reminder fan-out, {count:,} due reminders (Celery worker, {WORKER_CONCURRENCY} processes)",
        "kind": "batch",
        "scaled_down": count < 10_000,
        "seconds": seconds,
        "rate": f"{sending_rate:g} messages/s while sending; {notes}",
        "dispatch": {
            "interval_seconds": interval,
            "samples": latency.count,
            "p50_s": round(latency.p50_ms / 1000, 1),
            "p95_s": round(latency.p95_ms / 1000, 1),
        },
        "sending_rate": sending_rate,
        "floor": {
            **floor,
            "text": f"{floor['messages']:,} messages over {floor['clients']} connections in {floor['seconds']} s "
            f"({floor['per_second']}/s); the reminders' own bytes ({floor['bytes']:,} bytes on average), rendered "
            "before the clock",
        },
    }
