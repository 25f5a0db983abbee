"""A real Celery worker on real Redis sends the emails accounts hands it after commit: the request queues only ids,
and the link the worker makes (a password reset, an invitation) works."""

import email
import re

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts import tasks
from apps.accounts.models import Invitation, User
from tests.integration.conftest import redis_emptied
from tests.integration.test_notifications_worker import _wait_until
from tests.integration.worker_process import smtp_env, worker_on_test_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = "redis://127.0.0.1:6379/13"  # its own database: the other worker tests use 9, 10, 11, 12 and 15
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def redis_db13():
    yield from redis_emptied(REDIS_TEST_URL)


@pytest.fixture
def worker(redis_db13, smtp, tmp_path):
    """A worker process on this test's database, sending to the local SMTP server. `send(call)` hands it a task as
    the request queued it (see the `accounts_worker` fixture); `log()` is its log, for a failure's message."""
    yield from worker_on_test_database(redis_url=REDIS_TEST_URL, workdir=tmp_path, env=smtp_env(smtp))


def _sent_text(smtp) -> tuple[list[str], str]:
    """The one email the server received: its recipients and its plain-text part."""
    [sent] = smtp.handler.messages
    message = email.message_from_bytes(sent["content"])
    [text] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    return sent["to"], text.get_payload(decode=True).decode()


def _path(link: str) -> str:
    return link[len(settings.SITE_URL.rstrip("/")) :]


def test_the_worker_emails_a_working_reset_link_for_the_id_the_request_queued(personas, accounts_worker, worker, smtp):
    user = personas.patient_user
    assert Client().post("/accounts/password-reset/", {"email": user.email}).status_code == 302
    # Committed (a transactional test), and only the id travels.
    assert accounts_worker.queued == [
        {"task": tasks.password_reset_emails_send.name, "args": [[user.pk]], "kwargs": {}}
    ]

    worker.send(accounts_worker.queued[0])
    assert _wait_until(lambda: smtp.handler.messages, timeout=30, step=0.1), worker.log()

    to, body = _sent_text(smtp)
    assert to == [user.email]
    link = re.search(r"https?://\S+/accounts/password-reset/\S+/", body).group(0)
    client = Client()
    form = client.get(_path(link), follow=True)
    assert 'name="new_password1"' in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_the_worker_emails_a_working_invitation_link_for_the_id_the_request_queued(
    personas, login, accounts_worker, worker, smtp
):
    patient = personas.patient
    type(patient).objects.filter(pk=patient.pk).update(user=None)
    assert login(personas.front_desk).post(f"/patients/{patient.pk}/invite/").status_code == 302
    invitation = Invitation.objects.get(email=patient.email)
    assert accounts_worker.queued == [{"task": tasks.invitation_email_send.name, "args": [invitation.pk], "kwargs": {}}]

    worker.send(accounts_worker.queued[0])
    assert _wait_until(lambda: smtp.handler.messages, timeout=30, step=0.1), worker.log()

    to, body = _sent_text(smtp)
    assert to == [patient.email]
    # The worker records that it handed the email over once the server took it.
    assert _wait_until(lambda: Invitation.objects.get(pk=invitation.pk).emailed_at, timeout=10, step=0.1), worker.log()
    link = re.search(r"https?://\S+/accounts/invite/\S+/", body).group(0)
    password = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert Client().post(_path(link), password).status_code == 302
    assert User.objects.get(pk=Invitation.objects.get(pk=invitation.pk).user_id).check_password(NEW_PASSWORD)


def test_the_worker_records_an_invitation_the_mail_server_keeps_refusing_after_its_last_retry(
    personas, login, accounts_worker, worker, smtp
):
    patient = personas.patient
    type(patient).objects.filter(pk=patient.pk).update(user=None)
    smtp.handler.refuse[patient.email] = "550 5.1.1 Mailbox unavailable"
    front_desk = login(personas.front_desk)
    assert front_desk.post(f"/patients/{patient.pk}/invite/").status_code == 302
    invitation = Invitation.objects.get(email=patient.email)

    worker.send(accounts_worker.queued[0])

    # Retried with backoff (at most 1 + 2 + 4 + 8 + 16 seconds), then given up and recorded.
    def failed():
        return Invitation.objects.get(pk=invitation.pk).email_failed_at

    assert _wait_until(failed, timeout=90, step=0.2), worker.log()
    invitation.refresh_from_db()
    assert invitation.emailed_at is None and smtp.handler.messages == []
    chart = front_desk.get(f"/patients/{patient.pk}/").content.decode()
    assert "Invitation could not be emailed: the mail server refused the address · " in chart
