"""Run the README's first command (`make run`) on a fresh database at the real clock, and use it once.

Creates an empty database, starts `make run` on a free port (migrate, demo seed, web, worker and beat), waits
for the site, signs in as the demo patient, opens the portal, starts a card payment and checks that the
checkout link and the links in queued messages point at the address being served, then stops everything and
drops the database. Any crash on that path (the demo seed at an unlucky hour, a missing setting) fails it.

    python scripts/smoke_run.py        # what `make smoke` and CI run
"""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A superuser's address on the server: it creates the database and the roles, as `make run` does on a new machine.
SERVER_USER = "postgres"
SERVER = f"postgres://{SERVER_USER}@127.0.0.1:5432"
DATABASE = "clinic_smoke"
PATIENT = "patient01@clinic.test"
STARTUP_SECONDS = 300
PSQL = shutil.which("psql") or "psql"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psql(sql: str) -> None:
    subprocess.run([PSQL, f"{SERVER}/postgres", "-qc", sql], check=True)  # noqa: S603


class Browser:
    """Just enough of a browser: cookies, CSRF tokens from forms, redirects noted rather than followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 - our own server

    def post(self, path: str, data: dict, *, form_page: str = "") -> tuple[int, str, str]:
        """Submit `data` to `path` with the CSRF token of the page that shows the form (`path` itself by default)."""
        status, body, _ = self.get(form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert token, f"{form_page or path} ({status}) has no form"
        payload = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **data}).encode()
        request = urllib.request.Request(self.base + path, data=payload, headers={"Referer": self.base + path})  # noqa: S310
        return self._open(request)

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace"), answer.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _wait_for(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"`make run` stopped with exit code {server.returncode}:\n{log.read_text()[-6000:]}")
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    sys.exit(f"the site did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-6000:]}")


def _use(base: str) -> None:
    browser = Browser(base)
    status, _, location = browser.get("/")
    assert status in (200, 302), f"/ answered {status}"
    status, _, location = browser.post("/accounts/login/", {"username": PATIENT, "password": _demo_password()})
    assert status == 302, f"sign-in answered {status}"
    status, body, _ = browser.get("/portal/")
    assert status == 200 and "/accounts/logout/" in body, f"/portal/ answered {status} or not signed in"
    status, _, location = browser.post("/portal/billing/pay/", {"amount": "20.00"}, form_page="/portal/billing/")
    assert status == 302, f"starting a card payment answered {status}"
    assert location.startswith(base + "/"), f"the checkout link {location!r} is not on {base}"
    print(f"smoke: / and /portal/ answered; the checkout link is on {base}")


def _demo_password() -> str:
    source = (ROOT / "apps/accounts/demo.py").read_text()
    return re.search(r'DEMO_PASSWORD = "([^"]+)"', source).group(1)


def _message_links(database_url: str, base: str) -> None:
    """Every link to the clinic in a queued message (reminders' confirm and cancel links) is on the served address."""
    query = (
        "SELECT DISTINCT substring(value FROM '^https?://[^/]+')"
        " FROM notifications_message, jsonb_each_text(context)"
        " WHERE value ~ '^https?://' AND key <> 'telehealth_url'"  # the video service's address, not ours
    )
    answer = subprocess.run([PSQL, database_url, "-tAc", query], check=True, capture_output=True, text=True)  # noqa: S603
    hosts = answer.stdout.split()
    assert hosts, "the demo queued no message with a link"
    assert hosts == [base], f"message links point at {hosts}, not {base}"
    print(f"smoke: links in queued messages are on {base}")


def main() -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = f"{SERVER}/{DATABASE}"
    _psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    log = ROOT / ".smoke-run.log"
    env = {
        **os.environ,
        "DATABASE_ADMIN_URL": database_url,
        "DATABASE_OWNER_URL": database_url.replace(f"{SERVER_USER}@", "clinic_owner@", 1),
        "DATABASE_URL": database_url.replace(f"{SERVER_USER}@", "clinic_app@", 1),
        "PORT": str(port),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # what a user gets: the Makefile's own default
    env.pop("CLINIC_SITE_URL", None)
    with log.open("w") as out:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "run"],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(base, server, log)
        _use(base)
        _message_links(database_url, base)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        _psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    print("smoke: make run works from an empty database at", time.strftime("%a %H:%M %Z"))


if __name__ == "__main__":
    main()
