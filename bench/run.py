"""`make bench`: seed (or reuse) the large clinic, serve it with gunicorn as in production, measure each
operation and its floor in the same run, and write the report under bench/results/.

    python -m bench.run [--scales 1 2] [--quick]

Each scale has its own database: scale 1 the one given (clinic_bench), scale N clinic_bench_sN. Several scales
are measured one after another, each in its own process, and written as one report with a column per scale.
"""

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from clinic.published_secrets import DEVELOPMENT_ENCRYPTION_KEY

from . import floors, load
from . import report as report_module

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
REDIS_URL = "redis://127.0.0.1:6379/13"  # the benchmark's own Redis database
WORKERS = 3  # as the Dockerfile's gunicorn command
THREADS = 8  # clients (processes) for throughput, and connections for the SQL floors
SERIAL_SECONDS = 240  # at most this long for one operation's one-client samples (a slow page yields fewer)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, site_url: str) -> dict:
    """Production settings, served over plain HTTP on 127.0.0.1 (the only difference from a deploy)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings.production",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        # Every benchmark request comes from 127.0.0.1; lift the public quote's per-address limit for the run.
        "CLINIC_QUOTE_RATE": "1000000/min",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "bench",
        "CLINIC_SITE_URL": site_url,
        "CLINIC_LOG_LEVEL": "WARNING",
        # Synthetic data only: the large clinic's notes are encrypted under the development key unless one is given.
        "CLINIC_ENCRYPTION_KEYS": os.environ.get("CLINIC_ENCRYPTION_KEYS", DEVELOPMENT_ENCRYPTION_KEY),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
        "CLINIC_NO_ONLINE_CARD_PAYMENTS": "1",
        "CLINIC_SMS_BACKEND": "console",
    }


NOTES = [
    "Write floors (series booking, note signing) are the same rows written by hand-written SQL in one transaction, "
    "rolled back; read floors are one query returning the rows the page shows, on a connection with the app's "
    "session settings. Where the request writes PHI access-log rows (patient details, chart, note signing), its "
    "floor writes the same rows in the same transaction (committed for reads, as the page commits them).",
    "The load generator's clients are processes of their own (forked, one HTTP connection each); the process "
    "that counts queries, runs the floors and the statement run only hands out request numbers and adds up.",
    "The fee quote is rate-limited per client address (60/min by default); the run lifts the limit with "
    "CLINIC_QUOTE_RATE because every request comes from 127.0.0.1.",
    "Write operations use fresh targets each run: series go into lanes after the last booked session, notes are "
    "drafts of past sessions still booked (Saturday sessions added as needed), so that each signing completes and "
    "charges its session as the floor does, statements are the latest ended month's, issued and rolled back as "
    "their floor is, reminders are new outbox rows for booked sessions.",
    "Load averages above 2 mean other work shared the two cores during the run; ratios to floors measured in the "
    "same run are the figures to compare between runs.",
]


class Process:
    """A server started for the run, in its own process group, stopped with it."""

    def __init__(self, name: str, command: list[str], env: dict, workdir: Path):
        self.name = name
        self.log = workdir / f"{name}.log"
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def gunicorn(name: str, app: str, port: int, env: dict, workdir: Path) -> Process:
    command = [str(Path(sys.executable).with_name("gunicorn")), app, "--bind", f"127.0.0.1:{port}",
               "--workers", str(WORKERS), "--access-logfile", str(workdir / f"{name}-access.log")]  # fmt: skip
    return Process(name, command, env, workdir)


def wait_http(port: int, path: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{process.name} did not answer on {path}:\n{process.tail()}")


def python(env: dict, *args: str) -> str:
    """Run Python in the project with the app's environment; its output, or an error carrying it."""
    result = subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def manage(env: dict, *args: str) -> str:
    return python(env, "manage.py", *args)


class Bench:
    def __init__(self, args, *, scale: float):
        self.args = args
        self.scale = scale
        self.quick = args.quick
        self.database_url = scale_database_url(args.database_url, scale)
        self.dsn = self.database_url
        self.workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
        self.port, self.hello_port, self.framework_port = free_port(), free_port(), free_port()
        self.env = app_environment(self.database_url, f"http://127.0.0.1:{self.port}")
        self.run_id = uuid.uuid4().hex[:8]
        self.processes: list[Process] = []
        self.results = {"operations": [], "floors": {}, "notes": list(NOTES)}

    def wanted(self, key: str) -> bool:
        return not self.args.only or key in self.args.only

    # -- sizes ---------------------------------------------------------------------------------------------------

    @property
    def c1_count(self) -> int:
        return 30 if self.quick else report_module.MIN_SAMPLES

    @property
    def c8_seconds(self) -> float:
        return 3 if self.quick else 10

    @property
    def write_counts(self) -> tuple[int, int]:
        """Writes take fresh targets: as many for the one-client latencies as reads take, then 48 for eight."""
        return (10, 16) if self.quick else (report_module.MIN_SAMPLES, 48)

    @property
    def reminder_count(self) -> int:
        return 500 if self.quick else 10_000

    # -- the run -------------------------------------------------------------------------------------------------

    def seed(self) -> float:
        """Create the scale's database if it is missing, migrate it and seed (or reuse) the large clinic."""
        database_create(self.database_url)
        print(f"Seeding (or reusing) the large clinic at scale {self.scale:g} in {self.database_url} ...", flush=True)
        seeded = time.monotonic()
        manage(self.env, "migrate", "--noinput", "-v0")
        weeks = ["--weeks", str(self.args.weeks)] if self.args.weeks else []
        print(python(self.env, "-m", "bench.seed_large", "--scale", str(self.scale), *weeks).strip(), flush=True)
        return round(time.monotonic() - seeded, 1)

    def run(self) -> dict:
        """Measure everything at this scale; the finished results (ratios and verdicts added)."""
        started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        load_before = os.getloadavg()
        seed_seconds = self.seed()
        manage(self.env, "collectstatic", "--noinput", "-v0")
        # This process measures queries and runs the batch operations with the same settings as the servers.
        os.environ.update(self.env)
        import django

        django.setup()
        from apps.accounts.access import access_forget_everyone
        from apps.billing.rates_kept import rates_forget

        access_forget_everyone(sender=None)  # a fresh seed reuses the user ids whose roles an earlier run cached
        rates_forget()  # and the database name whose fee configuration an earlier run kept
        try:
            self.processes.append(gunicorn("app", "clinic.wsgi:application", self.port, self.env, self.workdir))
            hello = gunicorn("hello", "bench.hello_wsgi:application", self.hello_port, self.env, self.workdir)
            self.processes.append(hello)
            framework_env = {**self.env, "DJANGO_SETTINGS_MODULE": "bench.framework_settings"}
            framework = gunicorn("framework", "clinic.wsgi:application", self.framework_port, framework_env,
                                 self.workdir)  # fmt: skip
            self.processes.append(framework)
            wait_http(self.port, "/accounts/login/", self.processes[0])
            wait_http(self.hello_port, "/", hello)
            wait_http(self.framework_port, "/accounts/login/", framework)
            self.warm_up()
            self.measure_floors_http()
            self.measure_requests()
            if self.wanted("reminders"):
                self.measure_reminders()
            if self.wanted("statements"):
                self.measure_statements()
        finally:
            for process in self.processes:
                process.stop()
        self.results["run"] = self.describe(started, load_before, seed_seconds)
        return report_module.finish(self.results)

    def describe(self, started, load_before, seed_seconds) -> dict:
        from apps.notes.models import SessionNote
        from apps.patients.models import Patient
        from apps.programs.models import GroupProgram
        from apps.scheduling.models import Appointment

        from .reminders import WORKER_CONCURRENCY

        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()
        dataset = (
            f"{Patient.objects.count():,} patients, {Appointment.objects.count():,} appointments, "
            f"{SessionNote.objects.count():,} notes, {GroupProgram.objects.count()} programs"
        )
        return {
            "started_at": started.isoformat().replace("+00:00", "Z"),
            "scale": self.scale,
            "quick": self.quick,
            "samples": self.c1_count,
            "only": sorted(self.args.only),
            "worker_concurrency": str(WORKER_CONCURRENCY),
            "dataset": dataset,
            "seed_or_reuse_seconds": seed_seconds,
            "host": f"{os.cpu_count()} CPUs, {sys.platform}, Python {sys.version.split()[0]}",
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "commit": commit or "unknown",
            "gunicorn": f"gunicorn clinic.wsgi:application --workers {WORKERS}",
        }

    def warm_up(self) -> None:
        """Every gunicorn worker imports the project on its first request; that happens before any clock runs."""
        servers = ((self.port, "/accounts/login/"), (self.hello_port, "/"), (self.framework_port, "/accounts/login/"))
        for port, path in servers:
            load.concurrent(port, lambda i, p=path: load.Request("GET", p), clients=WORKERS * 2, max_requests=60,
                            max_seconds=60)  # fmt: skip

    # -- floors --------------------------------------------------------------------------------------------------

    def measure_floors_http(self) -> None:
        hello = lambda i: load.Request("GET", "/")  # noqa: E731
        c1 = load.serial(self.hello_port, hello, count=self.c1_count * 3, max_seconds=30)
        c8 = load.concurrent(self.hello_port, hello, max_requests=100_000, max_seconds=self.c8_seconds)
        self.http_floor = {"c1": c1.as_dict(), "c8_rps": c8.per_second}
        self.results["floors"]["WSGI hello-world under the same gunicorn"] = (
            f"p50 {c1.p50_ms} ms, p95 {c1.p95_ms} ms ({c1.count} requests); {c8.per_second} req/s with {THREADS} "
            "client processes"
        )

    def sql_floor(self, name: str, work, *, pgbench: tuple[str, dict] | None = None) -> dict:
        c1 = floors.sql_serial(self.dsn, work, count=self.c1_count * 2)
        c8 = floors.sql_concurrent(self.dsn, work, threads=THREADS, seconds=self.c8_seconds / 2)
        floor = {"c1": c1.as_dict(), "c8_rps": c8}
        text = f"p50 {c1.p50_ms} ms, p95 {c1.p95_ms} ms; {c8} runs/s with {THREADS} connections"
        if pgbench is not None:
            parts = psycopg.conninfo.conninfo_to_dict(self.dsn)
            parts.setdefault("host", "127.0.0.1")
            parts.setdefault("port", 5432)
            seconds = 2 if self.quick else 5
            bench1 = floors.pgbench(parts, *pgbench, clients=1, seconds=seconds)
            bench8 = floors.pgbench(parts, *pgbench, clients=THREADS, seconds=seconds)
            floor["pgbench"] = [bench1, bench8]
            text += (
                f"; pgbench: {bench1['latency_avg_ms']} ms mean at 1 client, "
                f"{bench8['tps']:.0f} tps at {THREADS} clients"
            )
        self.results["floors"][f"SQL for {name}"] = text
        return floor

    # -- requests ------------------------------------------------------------------------------------------------

    def measure_requests(self) -> None:
        from . import operations

        for spec in operations.all_operations(self, wanted=self.wanted):
            print(f"Measuring {spec.label} ...", flush=True)
            sql = self.sql_floor(spec.label, spec.floor_work, pgbench=spec.pgbench)
            queries, logged = spec.count_queries()
            if logged != spec.floor_access_log_rows:
                self.results["notes"].append(
                    f"{spec.label} wrote {logged} access-log rows in-process; its floor writes "
                    f"{spec.floor_access_log_rows}: the floor is not the same work."
                )
            if spec.c8_offset == 0:  # reads: every worker has served this page once before the clock runs
                load.concurrent(
                    self.port, spec.c1_request, clients=WORKERS * 2, max_requests=WORKERS * 4, max_seconds=60
                )
            c1 = load.serial(self.port, spec.c1_request, count=spec.c1_count, max_seconds=SERIAL_SECONDS)
            c8 = load.concurrent(
                self.port, spec.c8_request, clients=THREADS, max_requests=spec.c8_max, max_seconds=self.c8_seconds
            )
            empty = self.framework_floor(spec)
            self.results["operations"].append(
                {
                    "key": spec.key,
                    "label": spec.label,
                    "kind": "http",
                    "request": spec.describe,
                    "c1": c1.as_dict(),
                    "c8": c8.as_dict(),
                    "queries": queries,
                    "access_log_rows": logged,
                    "floor_access_log_rows": spec.floor_access_log_rows,
                    "floor": {**report_module.http_floor(sql, self.http_floor), "sql": sql},
                    "framework_floor": report_module.framework_floor(sql, empty, spec.framework_request().path),
                }
            )
            print(f"  p50 {c1.p50_ms} ms, p95 {c1.p95_ms} ms, {c8.per_second} req/s, {queries} queries", flush=True)

    def framework_floor(self, spec) -> dict:
        """The empty request of the operation's kind, answered by the clinic's own Django project (as the same
        user, with the same method and headers), one at a time: what the framework costs such a request."""
        empty = spec.framework_request()
        load.concurrent(self.framework_port, lambda i: empty, clients=WORKERS * 2, max_requests=WORKERS * 4,
                        max_seconds=60)  # fmt: skip
        c1 = load.serial(self.framework_port, lambda i: empty, count=self.c1_count, max_seconds=60)
        self.results["floors"][f"Django's empty {spec.framework.replace('_', ' ')} ({empty.path})"] = (
            f"p50 {c1.p50_ms} ms, p95 {c1.p95_ms} ms ({c1.count} requests)"
        )
        return c1.as_dict()

    # -- batches -------------------------------------------------------------------------------------------------

    def measure_reminders(self) -> None:
        from . import reminders

        print(f"Reminder fan-out: {self.reminder_count:,} due reminders through a Celery worker ...", flush=True)
        result = reminders.fan_out(self, count=self.reminder_count)
        self.results["operations"].append(result)
        self.results["floors"]["Raw SMTP sends to the same server"] = result["floor"]["text"]
        print(f"  {result['seconds']} s ({result['rate']}); floor {result['floor']['seconds']} s", flush=True)

    def measure_statements(self) -> None:
        from django.conf import settings
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from apps.billing.services.statements import statements_issue_for_month
        from apps.core import clock
        from apps.patients.models import Patient

        from .fixtures import billing_user, statement_month

        year, month = statement_month()
        start = dt.date(year, month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        params = floors.statement_params(
            tz=str(clock.clinic_tz()),
            start=start,
            end=end,
            site=settings.SITE_URL,
            due_days=settings.CLINIC_STATEMENT_DUE_DAYS,
            issued_at=clock.now(),
        )
        floor = floors.sql_serial(self.dsn, floors.rolled_back(floors.STATEMENTS, lambda i: params), count=3)
        reverse("portal:billing:statement", args=[0])  # load the URLconf first, as a running worker has
        print(f"Statement run for {start:%B %Y} over every patient ...", flush=True)
        started = time.perf_counter()
        # Rolled back as the floor is, so the next run measures the same month again; each chunk's transaction
        # becomes a savepoint of this one.
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            issued = statements_issue_for_month(actor=billing_user(), year=year, month=month)
            seconds = round(time.perf_counter() - started, 2)
            transaction.set_rollback(True)
        patients = Patient.objects.count()
        self.results["operations"].append(
            {
                "key": "statements",
                "label": f"Statement run, {start:%B %Y}, all {patients:,} patients",
                "kind": "batch",
                "seconds": seconds,
                "queries": len(queries),
                "rate": f"{issued:,} statements issued, {patients / seconds:.0f} patients/s, {len(queries)} queries",
                "floor": {"seconds": round(floor.p50_ms / 1000, 3), "sql": floor.as_dict()},
                "scaled_down": patients < 10_000,
            }
        )
        self.results["floors"][
            "SQL for the statement run (balances grouped in one query, statements and their emails inserted from "
            "them in the same statement, rolled back)"
        ] = f"p50 {floor.p50_ms} ms"
        print(f"  {seconds} s, {issued} statements, {len(queries)} queries; floor {floor.p50_ms} ms", flush=True)


def scale_database_url(database_url: str, scale: float) -> str:
    """Scale 1 uses the given database; any other scale its own (clinic_bench_s2, clinic_bench_s0_02)."""
    if scale == 1:
        return database_url
    return database_url + "_s" + f"{scale:g}".replace(".", "_")


def database_create(database_url: str) -> None:
    """Create the database on its server unless it exists (connecting as the same user to `postgres`)."""
    parts = psycopg.conninfo.conninfo_to_dict(database_url)
    name = parts.pop("dbname")
    with psycopg.connect(**{**parts, "dbname": "postgres"}, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))


def run_scales(args) -> Path:
    """Each scale in its own process (Django binds to one database per process), then one report."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="clinic-bench-scales-") as workdir:
        for scale in args.scales:
            out = Path(workdir) / f"scale-{scale:g}.json"
            command = [sys.executable, "-m", "bench.run", "--scales", f"{scale:g}", "--database-url",
                       args.database_url, "--json-to", str(out)]  # fmt: skip
            command += ["--quick"] if args.quick else []
            command += ["--weeks", str(args.weeks)] if args.weeks else []
            command += ["--only", ",".join(sorted(args.only))] if args.only else []
            subprocess.run(command, cwd=BASE_DIR, check=True)
            runs.append(json.loads(out.read_text()))
    return report({"scales": runs}, Path(args.out))


def report(results: dict, out: Path) -> Path:
    json_path, md_path = report_module.write(results, out)
    print(md_path.read_text())
    print(f"Report: {md_path} and {json_path}")
    return md_path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=[float(v) for v in os.environ.get("BENCH_SCALES", os.environ.get("BENCH_SCALE", "1")).split()],
        help="Scales to measure, each in its own database (1 = 10,000 patients).",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic_bench"),
        help="Scale 1's database; other scales get it with the suffix _s<scale>.",
    )
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--quick", action="store_true", help="Fewer requests (30 samples) and reminders (500): a smoke run."
    )
    parser.add_argument(
        "--only", type=lambda v: set(v.split(",")), default=set(), help="Measure only these operations (keys)."
    )
    parser.add_argument(
        "--weeks", type=int, help="Weeks of history when seeding (the seeder's default: five years); for smoke runs."
    )
    parser.add_argument("--seed-only", action="store_true", help="Only create, migrate and seed each scale's database.")
    parser.add_argument("--json-to", help=argparse.SUPPRESS)  # one scale of a run over several
    args = parser.parse_args(argv)
    if not args.database_url.rsplit("/", 1)[-1].startswith("clinic_bench"):
        parser.error("The benchmark writes to its database; point it at a clinic_bench database.")
    if any(scale <= 0 for scale in args.scales):
        parser.error("Scales are above 0.")
    if args.seed_only:
        for scale in args.scales:
            Bench(args, scale=scale).seed()
        return
    if len(args.scales) > 1:
        run_scales(args)
        return
    results = Bench(args, scale=args.scales[0]).run()
    if args.json_to:
        Path(args.json_to).write_text(json.dumps(results, default=str))
    else:
        report(results, Path(args.out))


if __name__ == "__main__":
    main()
