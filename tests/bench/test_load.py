"""The benchmark's load generator: its clients are processes of their own, and the run's databases follow the
scales."""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import load
from bench.run import scale_database_url


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    senders: list[str] = []

    def do_GET(self):
        self.senders.append(self.headers["X-Sender"])
        status = 500 if self.path == "/broken" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.senders = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], _Recorder.senders
    httpd.shutdown()
    httpd.server_close()


def _request(i: int) -> load.Request:
    # Built where the client runs: the header names the process that sent it.
    return load.Request("GET", f"/page/{i}", {"X-Sender": str(os.getpid())})


def test_one_client_times_its_requests_from_a_process_of_its_own(server):
    port, senders = server
    latency = load.serial(port, _request, count=25, max_seconds=30)
    assert latency.count == 25
    assert len(set(senders)) == 1 and str(os.getpid()) not in senders


def test_eight_clients_are_eight_processes_and_the_parent_only_counts(server):
    port, senders = server
    throughput = load.concurrent(port, _request, clients=8, max_requests=200, max_seconds=30)
    assert throughput.requests == 200 == len(senders)
    assert len(set(senders)) == 8 and str(os.getpid()) not in senders


def test_a_wrong_answer_from_a_client_stops_the_run(server):
    port, _ = server
    broken = lambda i: load.Request("GET", "/broken", {"X-Sender": "x"})  # noqa: E731
    with pytest.raises(load.Unexpected, match="answered 500"):
        load.serial(port, broken, count=5, max_seconds=30)
    with pytest.raises(load.Unexpected, match="answered 500"):
        load.concurrent(port, broken, clients=4, max_requests=50, max_seconds=30)


def test_each_scale_has_its_own_database():
    base = "postgres://postgres@127.0.0.1:5432/clinic_bench"
    assert scale_database_url(base, 1) == base
    assert scale_database_url(base, 2) == f"{base}_s2"
    assert scale_database_url(base, 0.05) == f"{base}_s0_05"
