"""Two app servers behind one address share nothing but Postgres, Redis and the media directory.

Two gunicorns on two ports serve the test database. One browser (one cookie jar: cookies do not tell ports apart,
as behind a proxy) signs in on one server, passes the TOTP step on the other, works on both, and signs out on the
second: the first no longer knows it. The public quote's per-address limit counts requests to both servers
together, and a file uploaded through one server downloads through the other."""

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import Role
from apps.education.models import LibraryItem
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REDIS_TEST_URL = "redis://127.0.0.1:6379/10"  # keys carry the run's own prefix and expire; nothing is flushed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`gunicorn clinic.wsgi` on a free port in its own process group, with what every server of a deploy shares."""

    def __init__(self, name: str, *, shared: dict, workdir: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(workdir) / f"{name}.log"
        command = [str(Path(sys.executable).with_name("gunicorn")), "clinic.wsgi:application",
                   "--bind", f"127.0.0.1:{self.port}", "--workers", "1"]  # fmt: skip
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env={**os.environ, **shared},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{self.url} did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=20)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One cookie jar for both servers, answers as (status, location, body), redirects not followed."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _KeepRedirects)

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == name)

    def get(self, url: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict, *, files: dict | None = None) -> tuple[int, str, str]:
        fields = {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}
        if not files:
            return self._open(urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode()))
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        for name, (filename, content, content_type) in files.items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            parts.append(f"{head}Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        return self._open(request)

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")


@pytest.fixture(scope="module")
def servers(django_db_setup):
    """Started once for the module: each takes a few seconds to import the project."""
    db = connection.settings_dict
    with tempfile.TemporaryDirectory() as workdir:
        shared = {
            "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": REDIS_TEST_URL,
            "CELERY_BROKER_URL": REDIS_TEST_URL,
            "CACHE_KEY_PREFIX": f"two-servers-{uuid.uuid4().hex}",
            "CLINIC_MEDIA_ROOT": str(Path(workdir) / "media"),
            "CLINIC_QUOTE_RATE": "3/min",
            "CLINIC_LOG_LEVEL": "WARNING",
        }
        servers = [Server(name, shared=shared, workdir=workdir) for name in ("web-1", "web-2")]
        try:
            for server in servers:
                server.wait_ready()
            yield servers
        finally:
            for server in servers:
                server.stop()


@pytest.fixture
def two_servers(servers, settings):
    # The servers run the deploy's hashers, not the test settings' fast one: passwords set here must suit them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return servers


def test_a_staff_session_started_on_one_server_continues_and_ends_on_the_other(two_servers):
    one, two = two_servers
    user = UserFactory(email="shared.session@example.test", first_name="Sharedsession", roles=[Role.FRONT_DESK])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Browser()

    browser.get(f"{one.url}/accounts/login/")
    status, location, _ = browser.post(
        f"{one.url}/accounts/login/", {"username": user.email, "password": PASSWORD, "next": "/patients/"}
    )
    assert status == 302, location
    status, location, _ = browser.get(f"{two.url}/patients/")
    assert status == 302 and "/accounts/mfa/verify/" in location, "the second server let the TOTP step be skipped"

    status, location, _ = browser.post(f"{two.url}/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert status == 302 and "/accounts/mfa/" not in location, location
    for server in (one, two):
        status, _, page = browser.get(f"{server.url}/patients/")
        assert status == 200 and "Sharedsession" in page, server.url

    status, _, _ = browser.post(f"{two.url}/accounts/logout/", {})
    assert status == 302
    status, location, _ = browser.get(f"{one.url}/patients/")
    assert status == 302 and "/accounts/login/" in location, "the first server still knew the signed-out session"


def test_the_quote_limit_per_address_counts_requests_to_both_servers(two_servers):
    one, two = two_servers
    browser = Browser()
    quote = "/billing/what-will-i-pay/?household_size=2&annual_income=30000"
    answers = [browser.get(f"{server.url}{quote}")[0] for server in (one, two, one)]
    assert answers == [200, 200, 200]
    assert browser.get(f"{two.url}{quote}")[0] == 429, "the second server kept its own count"


def test_a_file_uploaded_through_one_server_downloads_through_the_other(two_servers):
    one, two = two_servers
    admin = UserFactory(email="library.admin@example.test", roles=[Role.ADMIN])
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    browser = Browser()
    browser.get(f"{one.url}/accounts/login/")
    browser.post(f"{one.url}/accounts/login/", {"username": admin.email, "password": PASSWORD})
    browser.post(f"{one.url}/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})

    content = b"%PDF-1.4\n% shared between servers\n%%EOF\n"
    status, location, page = browser.post(
        f"{one.url}/education/new/",
        {"title": "Shared reading", "kind": "reading", "care_level": "education", "description": "On two servers."},
        files={"file": ("shared.pdf", content, "application/pdf")},
    )
    assert status == 302, page[-2000:]
    item = LibraryItem.objects.get(title="Shared reading")
    status, _, body = browser.get(f"{two.url}/education/{item.pk}/file/")
    assert status == 200 and body.encode() == content
