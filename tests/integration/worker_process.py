"""A real Celery worker process on this test's database and a Redis database of the test's own."""

from collections.abc import Iterator
from types import SimpleNamespace

from django.conf import settings
from django.db import connection

from clinic.celery import app
from tests.integration.test_notifications_worker import _log, _wait_until
from tests.integration.test_two_beats import CeleryProcess


def worker_on_test_database(*, redis_url: str, workdir, env: dict | None = None) -> Iterator[SimpleNamespace]:
    """Start a solo worker with the local settings on this test's database (plus `env`), wait until it is ready,
    and yield `send(call)` (a task as a request queued it: {"task", "args", "kwargs"}), `log()` and `text()` (its
    output); stop it afterwards."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = {
        "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
        "DATABASE_URL": database_url,
        "CLINIC_SITE_URL": settings.SITE_URL,
        **(env or {}),
    }
    process = CeleryProcess("worker", ["worker", "--pool=solo"], str(workdir), redis_url=redis_url, env=environment)

    def send(call: dict) -> None:
        with app.connection_for_write(redis_url) as broker:
            app.send_task(call["task"], args=call["args"], kwargs=call["kwargs"], connection=broker)

    try:
        assert _wait_until(lambda: " ready." in process.text(), timeout=60, step=0.1), _log(str(workdir))
        yield SimpleNamespace(send=send, log=lambda: _log(str(workdir)), text=process.text)
    finally:
        process.stop()


def smtp_env(smtp) -> dict:
    """A worker's settings to send its email to the test's local SMTP server."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
    }
