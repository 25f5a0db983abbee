"""What the framework costs per signed-in request, in-process: the empty routes of bench/framework.py answered by
Django's test client (no server, no network), as a member of staff signed in and past the MFA check.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded clinic> DJANGO_SETTINGS_MODULE=clinic.settings.test \\
        python -m bench.request_cost [--requests 300] [--user maria.russo@clinic.test] [--profile staff_json]

For each kind of empty request it prints the CPU time per request (median and mean over the timed requests, after a
warm-up), the wall-clock median (the database's and the cache's answers included) and the queries one request runs.
`--profile KIND` prints where that kind's CPU time goes (cProfile). The gunicorn figures of `make bench` include the
server and the network; these are the framework's own part of them.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from apps.accounts.models import User  # noqa: E402

from .framework import PATHS  # noqa: E402

CSRF_SECRET = "a" * 32

# The kinds measured, as (label, method, route). The POST carries a JSON body, as the API's writes do.
KINDS = {
    "staff_json": ("GET", PATHS["staff_json"]),
    "api_get": ("GET", PATHS["api"]),
    "api_post": ("POST", PATHS["api"]),
}


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


def send(client: Client, kind: str):
    method, path = KINDS[kind]
    if method == "POST":
        return client.post(path, b"{}", content_type="application/json", headers={"x-csrftoken": CSRF_SECRET})
    return client.get(path, headers={"accept": "application/json"})


def measure(client: Client, kind: str, requests: int) -> dict:
    for _ in range(20):  # warm-up: caches filled, code paths imported
        response = send(client, kind)
        assert response.status_code == 200, (kind, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as captured:
        send(client, kind)
    # Read now: every request that starts empties the connection's log.
    statements = [query["sql"] for query in captured.captured_queries]
    times, walls = [], []
    for _ in range(requests):
        started, wall_started = time.process_time(), time.perf_counter()
        send(client, kind)
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
    parser.add_argument("--profile", choices=sorted(KINDS))
    parser.add_argument("--sql", action="store_true", help="print the statements each kind runs")
    args = parser.parse_args()
    with override_settings(ROOT_URLCONF="bench.framework", ALLOWED_HOSTS=["testserver"]):
        client = signed_in_client(args.user)
        if args.profile:
            for _ in range(20):
                send(client, args.profile)
            profile = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
            profile.enable()
            for _ in range(args.requests):
                send(client, args.profile)
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(60)
            return
        print(f"{'request':<12} {'CPU ms p50':>10} {'mean':>6} {'wall p50':>8} {'queries':>8}")
        for kind in KINDS:
            result = measure(client, kind, args.requests)
            cpu = f"{result['median_ms']:>10.2f} {result['mean_ms']:>6.2f}"
            print(f"{kind:<12} {cpu} {result['wall_ms']:>8.2f} {result['queries']:>8}")
            if args.sql:
                for sql in result["sql"]:
                    print(f"    {sql[:160]}")


if __name__ == "__main__":
    main()
