"""A small HTTP load generator for 127.0.0.1: timed requests one at a time, and a fixed number of threads
sending as fast as answers come back. Counts and time are bounded so a run always ends."""

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .stats import Latency, latency_of, rate

HOST = "127.0.0.1"


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


def serial(port: int, next_request: Callable[[int], Request | None], *, count: int, max_seconds: float) -> Latency:
    """Concurrency 1: up to `count` requests one after another (fewer if time runs out); their latencies."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    samples = []
    deadline = time.monotonic() + max_seconds
    try:
        for i in range(count):
            request = next_request(i)
            if request is None or time.monotonic() > deadline:
                break
            started = time.perf_counter()
            _send(connection, request)
            samples.append(time.perf_counter() - started)
    finally:
        connection.close()
    return latency_of(samples)


@dataclass(frozen=True)
class Throughput:
    threads: int
    requests: int
    seconds: float
    per_second: float

    def as_dict(self) -> dict:
        return {"threads": self.threads, "requests": self.requests, "seconds": self.seconds, "rps": self.per_second}


def concurrent(
    port: int,
    next_request: Callable[[int], Request | None],
    *,
    threads: int = 8,
    max_requests: int,
    max_seconds: float,
) -> Throughput:
    """`threads` clients each sending as soon as the last answer arrived, until `max_requests` are answered,
    `next_request` runs dry or `max_seconds` pass; answered requests per second."""
    lock = threading.Lock()
    issued = [0]
    done = [0]
    errors: list[BaseException] = []
    deadline = time.monotonic() + max_seconds
    barrier = threading.Barrier(threads + 1)

    def take() -> Request | None:
        with lock:
            if issued[0] >= max_requests or time.monotonic() > deadline or errors:
                return None
            request = next_request(issued[0])
            if request is not None:
                issued[0] += 1
            return request

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        barrier.wait()
        try:
            while (request := take()) is not None:
                _send(connection, request)
                with lock:
                    done[0] += 1
        except BaseException as exc:  # reported after the run, in the caller's thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Throughput(threads, done[0], round(seconds, 2), rate(done[0], seconds))
