"""A real Celery worker on real Redis sends the reset email a "Forgot your password?" request handed it: the
request only queues the account's id, and the link the worker makes sets the password."""

import email
import re

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from apps.accounts import tasks
from apps.accounts.models import User
from clinic.celery import app
from tests.integration.test_notifications_worker import _log, _wait_until
from tests.integration.test_two_beats import CeleryProcess
from tests.notifications.conftest import CountingHandler, LocalSMTP

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/13"  # its own database: the other worker tests use 9, 10, 11, 12 and 15
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def redis_db13():
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def smtp():
    handler = CountingHandler()
    controller = LocalSMTP(handler)
    controller.start()
    yield controller
    controller.stop()


def test_the_worker_emails_a_working_link_for_the_id_the_request_queued(
    personas, redis_db13, smtp, tmp_path, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.password_reset_emails_send, "delay", lambda *args: queued.append(list(args)))
    user = personas.patient_user
    assert Client().post("/accounts/password-reset/", {"email": user.email}).status_code == 302
    assert queued == [[[user.pk]]]  # committed (a transactional test), and only the id travels

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
        "DATABASE_URL": database_url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "CLINIC_SITE_URL": settings.SITE_URL,
    }
    worker = CeleryProcess("worker", ["worker", "--pool=solo"], str(tmp_path), redis_url=REDIS_TEST_URL, env=env)
    try:
        assert _wait_until(lambda: " ready." in worker.text(), timeout=60, step=0.1), _log(str(tmp_path))
        with app.connection_for_write(REDIS_TEST_URL) as broker:
            app.send_task(tasks.password_reset_emails_send.name, args=queued[0], connection=broker)
        assert _wait_until(lambda: smtp.handler.messages, timeout=30, step=0.1), _log(str(tmp_path))
    finally:
        worker.stop()

    [sent] = smtp.handler.messages
    assert sent["to"] == [user.email]
    body = email.message_from_bytes(sent["content"]).get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/accounts/password-reset/\S+/", body).group(0)
    client = Client()
    form = client.get(link[len(settings.SITE_URL.rstrip("/")) :], follow=True)
    assert 'name="new_password1"' in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
