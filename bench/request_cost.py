"""What a signed-in request costs, in-process: the empty routes of bench/framework.py, the patient details page
and the chart, answered by Django's test client (no server, no network), as a member of staff signed in and past the
MFA check, the staff week calendar as the front desk, and the portal home as a patient.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded clinic> DJANGO_SETTINGS_MODULE=clinic.settings.test \\
        python -m bench.request_cost [--requests 300] [--user maria.russo@clinic.test] [--profile staff_json]

    # the details page and the chart of the benchmark's clinic, as the benchmark sends them
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench DJANGO_SETTINGS_MODULE=clinic.settings.test \\
        python -m bench.request_cost --kinds details,chart,portal,calendar [--patients 10]

For each kind of request it prints the CPU time per request (median and mean over the timed requests, after a
warm-up), the wall-clock median (the database's and the cache's answers included) and the queries one request runs.
The empty kinds (staff_json, api_get, api_post) are sent as `--user`; the pages (details, chart) as the treating
therapist of the benchmark's chart patients (`bench.fixtures.chart_targets`: patients in care with the longest
histories), the first `--patients` of them in turn, each page view writing its access-log row as served; the portal
home as the first `--patients` of the benchmark's patients with sessions booked ahead; the calendar as the front
desk, every therapist's week for the eight weeks around today in turn.
`--profile KIND` prints where that kind's CPU time goes (cProfile). The gunicorn figures of `make bench` include the
server and the network; these are the framework's own part of them.
"""

import argparse
import cProfile
import functools
import itertools
import os
import pstats
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from apps.accounts.models import User  # noqa: E402

from .framework import PATHS  # noqa: E402

CSRF_SECRET = "a" * 32

# The empty kinds, as (method, route). The POST carries a JSON body, as the API's writes do.
KINDS = {
    "staff_json": ("GET", PATHS["staff_json"]),
    "api_get": ("GET", PATHS["api"]),
    "api_post": ("POST", PATHS["api"]),
}
# The pages, each sent for a patient by their treating therapist, as the benchmark sends them (bench/operations.py).
PAGES = {
    "details": "/patients/{}/",
    "chart": "/notes/patients/{}/chart/",
}
# The portal home, sent as the benchmark's patients with sessions booked ahead (`bench.fixtures.portal_patients`).
PORTAL = "/portal/"
# The staff week calendar, sent as the front desk for the weeks around today (`bench.fixtures.calendar_weeks`).
CALENDAR = "/schedule/events/"
ALL_KINDS = [*KINDS, *PAGES, "portal", "calendar"]
EMPTY_KINDS = ",".join(KINDS)


def signed_in_client(email: str) -> Client:
    """A client signed in as `email` whose session passed the MFA check with the user's confirmed device, as the
    challenge page leaves it (without using up a code)."""
    user = User.objects.get(email=email)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise SystemExit(f"{email} has no confirmed TOTP device")
    client = Client(enforce_csrf_checks=True)
    # A browser's CSRF cookie, sent back in the header by the page's script on every write.
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _patient_client(user: User) -> Client:
    """A patient signed in to the portal (patients pass no MFA check)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def senders(kind: str, user: str, patients: int) -> list[Callable[[], HttpResponse]]:
    """The requests of a kind, each a call that sends it; they are sent in turn."""
    if kind == "calendar":
        from .fixtures import calendar_weeks, front_desk

        client = signed_in_client(front_desk().email)
        return [
            functools.partial(
                client.get, CALENDAR, {"start": start, "end": end}, headers={"accept": "application/json"}
            )
            for start, end in calendar_weeks()
        ]
    if kind == "portal":
        from .fixtures import portal_patients

        patients = portal_patients(patients)
        if not patients:
            raise SystemExit("no patient with a portal account and sessions ahead: is this the benchmark's clinic?")
        return [functools.partial(_patient_client(user).get, PORTAL) for user in patients]
    if kind in PAGES:
        # Imported here: the fixtures need the benchmark's clinic, the empty kinds do not.
        from .fixtures import chart_targets

        targets = chart_targets(patients)
        if not targets:
            raise SystemExit("no patient in care with sessions in the last four weeks: is this the benchmark's clinic?")
        clients = {
            pk: signed_in_client(email)
            for pk, email in User.objects.filter(pk__in={t for t, _ in targets}).values_list("pk", "email")
        }
        return [
            functools.partial(clients[therapist_id].get, PAGES[kind].format(patient_id))
            for therapist_id, patient_id in targets
        ]
    client = signed_in_client(user)
    method, path = KINDS[kind]
    if method == "POST":
        return [
            functools.partial(
                client.post, path, b"{}", content_type="application/json", headers={"x-csrftoken": CSRF_SECRET}
            )
        ]
    return [functools.partial(client.get, path, headers={"accept": "application/json"})]


def measure(kind: str, sends: list[Callable[[], HttpResponse]], requests: int) -> dict:
    for send in itertools.islice(itertools.cycle(sends), max(20, len(sends))):  # warm-up: caches filled, imports done
        response = send()
        assert response.status_code == 200, (kind, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as captured:
        sends[0]()
    # Read now: every request that starts empties the connection's log.
    statements = [query["sql"] for query in captured.captured_queries]
    times, walls = [], []
    for send in itertools.islice(itertools.cycle(sends), requests):
        started, wall_started = time.process_time(), time.perf_counter()
        send()
        times.append((time.process_time() - started) * 1000)
        walls.append((time.perf_counter() - wall_started) * 1000)
    return {
        "median_ms": statistics.median(times),
        "mean_ms": statistics.fmean(times),
        "wall_ms": statistics.median(walls),
        "queries": len(statements),
        "sql": statements,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--user", default="maria.russo@clinic.test")
    parser.add_argument("--kinds", default=EMPTY_KINDS, help=f"comma-separated, of {', '.join(ALL_KINDS)}")
    parser.add_argument("--patients", type=int, default=10, help="the pages and the portal: how many patients, in turn")
    parser.add_argument("--profile", choices=sorted(ALL_KINDS))
    parser.add_argument("--sql", action="store_true", help="print the statements each kind runs")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in ALL_KINDS]
    if unknown:
        parser.error(f"unknown kinds: {', '.join(unknown)}")
    with override_settings(ROOT_URLCONF="bench.framework", ALLOWED_HOSTS=["testserver"]):
        if args.profile:
            sends = senders(args.profile, args.user, args.patients)
            for send in itertools.islice(itertools.cycle(sends), max(20, len(sends))):
                send()
            profile = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
            profile.enable()
            for send in itertools.islice(itertools.cycle(sends), args.requests):
                send()
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(60)
            return
        print(f"{'request':<12} {'CPU ms p50':>10} {'mean':>6} {'wall p50':>8} {'queries':>8}")
        for kind in kinds:
            result = measure(kind, senders(kind, args.user, args.patients), args.requests)
            cpu = f"{result['median_ms']:>10.2f} {result['mean_ms']:>6.2f}"
            print(f"{kind:<12} {cpu} {result['wall_ms']:>8.2f} {result['queries']:>8}")
            if args.sql:
                for sql in result["sql"]:
                    print(f"    {sql[:160]}")


if __name__ == "__main__":
    main()
