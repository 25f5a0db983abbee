"""Staff see whether an invitation's email went out: when the worker handed it to the mail server, that it is still
waiting for the worker, or that sending gave up after the last retry, and why, so they can send it again."""

import pytest
from django.core import mail
from django.core.mail.backends import smtp as smtp_backend
from django.utils import dateformat
from django.utils.timezone import localtime

from apps.accounts import tasks
from apps.accounts.models import Invitation, User
from apps.core import clock
from apps.core.mail import DeliveryError
from tests.notifications.conftest import CountingHandler, LocalSMTP

pytestmark = pytest.mark.django_db(transaction=True)

NEW_HIRE = {"email": "new.hire@example.test", "first_name": "Nia", "last_name": "Vance", "role": "billing"}


def _uninvited(patient):
    type(patient).objects.filter(pk=patient.pk).update(user=None)
    patient.refresh_from_db()
    return patient


def _chart(client, patient) -> str:
    return client.get(f"/patients/{patient.pk}/").content.decode()


def _local(moment) -> str:
    return dateformat.format(localtime(moment), "M j, g:i A")


@pytest.fixture
def attempts(monkeypatch):
    """How many times the worker opened a connection to the mail server."""
    opened = []
    open_connection = smtp_backend.EmailBackend.open

    def counting_open(backend):
        opened.append(1)
        return open_connection(backend)

    monkeypatch.setattr(smtp_backend.EmailBackend, "open", counting_open)
    return opened


@pytest.fixture
def mail_server_refusing_the_address(settings):
    """A mail server that answers, but refuses the recipient (550), as for an address that does not exist."""
    handler = CountingHandler()
    server = LocalSMTP(handler)
    server.start()
    handler.refuse[NEW_HIRE["email"]] = "550 5.1.1 No such user here"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield handler
    server.stop()


def test_the_chart_says_the_invitation_waits_for_the_worker_then_when_it_was_emailed(personas, login, accounts_worker):
    patient = _uninvited(personas.patient)
    client = login(personas.front_desk)
    flashed = client.post(f"/patients/{patient.pk}/invite/", follow=True).content.decode()
    assert f"The portal invitation to {patient.email} is being sent" in flashed
    assert "Portal invitation sent" not in flashed
    assert "Invitation waiting to be sent" in _chart(client, patient)
    assert Invitation.objects.get(email=patient.email).emailed_at is None

    before = clock.now()
    accounts_worker.run()
    [sent] = mail.outbox
    invitation = Invitation.objects.get(email=patient.email)
    assert before <= invitation.emailed_at <= clock.now()
    assert invitation.email_failed_at is None and invitation.email_failure == ""
    page = _chart(client, patient)
    assert f"Invited · emailed {_local(invitation.emailed_at)}" in page
    assert "waiting to be sent" not in page and "could not be emailed" not in page


def test_a_mail_server_that_stays_down_is_recorded_after_the_last_retry_and_the_chart_offers_to_send_again(
    personas, login, accounts_worker, refusing_mail_server, attempts, settings
):
    patient = _uninvited(personas.patient)
    client = login(personas.front_desk)
    client.post(f"/patients/{patient.pk}/invite/")
    invitation = Invitation.objects.get(email=patient.email)

    # One try that fails is not the end: the worker retries it, and until then it is waiting to be sent.
    with pytest.raises(DeliveryError):
        accounts_worker.run()
    invitation.refresh_from_db()
    assert invitation.email_failed_at is None and invitation.emailed_at is None
    assert "Invitation waiting to be sent" in _chart(client, patient)

    attempts.clear()
    before = clock.now()
    assert tasks.invitation_email_send.apply(args=[invitation.pk]).failed()
    assert len(attempts) == tasks.invitation_email_send.max_retries + 1
    invitation.refresh_from_db()
    assert invitation.emailed_at is None and before <= invitation.email_failed_at <= clock.now()
    page = _chart(client, patient)
    assert "Invitation could not be emailed: the mail server could not be reached · " in page
    assert f'action="/patients/{patient.pk}/invite/"' in page and ">Send again</button>" in page
    # The reason names no server detail. Only its line is looked at: the port is a number the page's ids may contain.
    reason = next(line for line in page.splitlines() if "Invitation could not be emailed" in line)
    assert str(settings.EMAIL_PORT) not in reason and settings.EMAIL_HOST not in reason

    # Sent again once the mail server is back: a new link, waiting, then emailed.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.post(f"/patients/{patient.pk}/invite/").status_code == 302
    assert "Invitation waiting to be sent" in _chart(client, patient)
    accounts_worker.run()
    [sent] = mail.outbox
    assert sent.to == [patient.email]
    again = Invitation.objects.get(email=patient.email, revoked_at=None)
    assert again.pk != invitation.pk and again.emailed_at is not None
    assert f"Invited · emailed {_local(again.emailed_at)}" in _chart(client, patient)


def test_the_users_pages_say_how_a_staff_invitation_stands(
    personas, login, accounts_worker, mail_server_refusing_the_address
):
    admin = login(personas.admin)
    flashed = admin.post("/accounts/users/", NEW_HIRE, follow=True).content.decode()
    assert f"The invitation to {NEW_HIRE['email']} is being sent" in flashed and "Invitation sent" not in flashed
    assert "Invitation waiting to be sent" in flashed
    hire = User.objects.get(email=NEW_HIRE["email"])
    invitation = Invitation.objects.get(user=hire)

    assert tasks.invitation_email_send.apply(args=[invitation.pk]).failed()
    invitation.refresh_from_db()
    assert invitation.email_failed_at is not None and invitation.emailed_at is None
    failed = "Invitation could not be emailed: the mail server refused the address"
    assert failed in admin.get("/accounts/users/").content.decode()
    assert failed in admin.get(f"/accounts/users/{hire.pk}/").content.decode()
    assert "No such user" not in invitation.email_failure

    # Once the mail server takes the address, the invitation sent again goes out.
    mail_server_refusing_the_address.refuse.clear()
    again = admin.post(f"/accounts/users/{hire.pk}/invite-again/", follow=True).content.decode()
    assert f"A new invitation to {NEW_HIRE['email']} is being sent" in again
    accounts_worker.run()
    assert [m["to"] for m in mail_server_refusing_the_address.messages] == [[NEW_HIRE["email"]]]
    emailed = Invitation.objects.get(user=hire, revoked_at=None).emailed_at
    assert f"Invited · emailed {_local(emailed)}" in admin.get("/accounts/users/").content.decode()
    assert f"Invited · emailed {_local(emailed)}" in admin.get(f"/accounts/users/{hire.pk}/").content.decode()
