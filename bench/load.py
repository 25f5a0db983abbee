"""A small HTTP load generator for 127.0.0.1 whose clients run in their own processes: timed requests one at a
time from one client process, and a fixed number of client processes sending as fast as answers come back.

The benchmark's own process holds Django, the floors' connections and the batch runs; a client sharing that
interpreter (and its lock) with them would time its own waiting too. Each client is a forked process with its own
HTTP connection; the parent only hands out request numbers and adds up what the clients send back. Counts and
time are bounded so a run always ends."""

import http.client
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .stats import Latency, latency_of, rate

HOST = "127.0.0.1"
# Forked, the clients inherit the operation's request maker (a closure over prepared sessions and targets) as is;
# they never touch the parent's database connection.
_CONTEXT = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    expect: tuple[int, ...] = (200,)


class Unexpected(Exception):
    """An answer the operation should never give (a 500, a redirect to sign-in, a refused booking)."""


def _send(connection: http.client.HTTPConnection, request: Request) -> None:
    connection.request(request.method, request.path, body=request.body, headers=request.headers)
    response = connection.getresponse()
    body = response.read()
    if response.will_close:
        connection.close()
    if response.status not in request.expect:
        raise Unexpected(f"{request.method} {request.path} answered {response.status}: {body[:300]!r}")


def _serial_client(port, next_request, count, max_seconds, results) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    samples: list[float] = []
    deadline = time.monotonic() + max_seconds
    try:
        for i in range(count):
            request = next_request(i)
            if request is None or time.monotonic() > deadline:
                break
            started = time.perf_counter()
            _send(connection, request)
            samples.append(time.perf_counter() - started)
        results.send((samples, None))
    except Exception as exc:  # sent to the parent, which raises it
        results.send((samples, f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()
        results.close()


def serial(port: int, next_request: Callable[[int], Request | None], *, count: int, max_seconds: float) -> Latency:
    """Concurrency 1: up to `count` requests one after another from one client process (fewer if time runs out
    or `next_request` runs dry); their latencies."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    client = _CONTEXT.Process(target=_serial_client, args=(port, next_request, count, max_seconds, sender))
    client.start()
    sender.close()
    try:
        samples, error = receiver.recv()
    except EOFError:
        samples, error = [], f"the client process exited with code {client.exitcode}"
    client.join()
    if error:
        raise Unexpected(error)
    return latency_of(samples)


@dataclass(frozen=True)
class Throughput:
    clients: int
    requests: int
    seconds: float
    per_second: float

    def as_dict(self) -> dict:
        return {"clients": self.clients, "requests": self.requests, "seconds": self.seconds, "rps": self.per_second}


def _concurrent_client(port, next_request, max_requests, deadline, issued, lock, barrier, results) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    done, error = 0, None
    barrier.wait()
    try:
        while True:
            with lock:
                if issued.value >= max_requests or time.monotonic() > deadline.value:
                    break
                request = next_request(issued.value)
                if request is None:
                    break
                issued.value += 1
            _send(connection, request)
            done += 1
    except Exception as exc:  # sent to the parent, which raises it
        error = f"{type(exc).__name__}: {exc}"
        with lock:
            deadline.value = 0.0  # the other clients stop too
    finally:
        connection.close()
        results.put((done, error))


def concurrent(
    port: int,
    next_request: Callable[[int], Request | None],
    *,
    clients: int = 8,
    max_requests: int,
    max_seconds: float,
) -> Throughput:
    """`clients` client processes each sending as soon as its last answer arrived, until `max_requests` are
    answered, `next_request` runs dry or `max_seconds` pass; answered requests per second."""
    lock = _CONTEXT.Lock()
    issued = _CONTEXT.Value("q", 0, lock=False)
    deadline = _CONTEXT.Value("d", float("inf"), lock=False)
    barrier = _CONTEXT.Barrier(clients + 1)
    results = _CONTEXT.Queue()
    args = (port, next_request, max_requests, deadline, issued, lock, barrier, results)
    processes = [_CONTEXT.Process(target=_concurrent_client, args=args) for _ in range(clients)]
    for process in processes:
        process.start()
    # Every client has connected and forked before the clock starts.
    deadline.value = time.monotonic() + max_seconds
    barrier.wait(timeout=60)
    started = time.perf_counter()
    answers = [results.get(timeout=max_seconds + 120) for _ in processes]
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    errors = [error for _, error in answers if error]
    if errors:
        raise Unexpected(errors[0])
    done = sum(count for count, _ in answers)
    return Throughput(clients, done, round(seconds, 2), rate(done, seconds))
