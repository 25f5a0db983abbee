"""Forgot your password? Django's reset views and tokens: the answer never says whether an address has an account,
nor does the time it takes (the worker sends the email), the email carries only the link, a reset signs nobody in
and ends every other session, and staff still pass their second factor."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.accounts import tasks
from apps.accounts.models import User
from apps.accounts.services import password_reset_send, staff_deactivate, staff_invite
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.models import ClinicSettings
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


def _ask(client: Client, email: str, **extra):
    return client.post("/accounts/password-reset/", {"email": email}, **extra)


def _link(message) -> str:
    return re.search(r"https?://\S+/accounts/password-reset/\S+/", message.body).group(0)


def _path(link: str) -> str:
    return link[len(settings.SITE_URL.rstrip("/")) :]


def _reset(client: Client, link: str, password: str = NEW_PASSWORD):
    form = client.get(_path(link), follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode(), "the link should work"
    return client.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def test_the_sign_in_page_links_to_it():
    assert "/accounts/password-reset/" in Client().get("/accounts/login/").content.decode()


def test_the_answer_is_the_same_for_an_address_with_or_without_an_account(
    personas, accounts_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask(Client(), personas.patient_user.email.upper())
        unknown = _ask(Client(), "nobody@example.test")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password-reset/sent/"
    accounts_worker.run()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [personas.patient_user.email]
    body = mail.outbox[0].body
    assert _link(mail.outbox[0]).startswith(settings.SITE_URL)
    for detail in (personas.patient_user.first_name, personas.patient_user.last_name, personas.patient_user.email):
        assert detail not in body


def test_a_reset_signs_nobody_in_and_ends_every_other_session(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    user = personas.patient_user
    signed_in_elsewhere = login(user)
    assert signed_in_elsewhere.get("/portal/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _ask(Client(), user.email)
    accounts_worker.run()
    link = _link(mail.outbox[0])

    resetting = Client()
    done = _reset(resetting, link)
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/done/"
    assert resetting.get("/portal/").status_code == 302  # not signed in by the reset
    assert signed_in_elsewhere.get("/portal/").status_code == 302  # the session auth hash no longer matches
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    log = AccessLog.objects.get(action="password_reset")
    assert (log.actor_id, log.subject_id) == (user.pk, str(user.pk))

    again = Client().get(_path(link), follow=True).content.decode()
    assert 'name="new_password1"' not in again and "This link does not work" in again


def test_staff_still_pass_their_second_factor_after_a_reset(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    login(personas.front_desk)  # enrolled in an authenticator
    with django_capture_on_commit_callbacks(execute=True):
        _ask(Client(), personas.front_desk.email)
    accounts_worker.run()
    _reset(Client(), _link(mail.outbox[0]))
    client = Client()
    assert client.post("/accounts/login/", {"username": personas.front_desk.email, "password": NEW_PASSWORD})
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/mfa/verify/")


def test_the_link_expires(personas, accounts_worker, django_capture_on_commit_callbacks):
    assert settings.PASSWORD_RESET_TIMEOUT <= 2 * 60 * 60
    with django_capture_on_commit_callbacks(execute=True):
        _ask(Client(), personas.patient_user.email)
    accounts_worker.run()
    link = _link(mail.outbox[0])
    later = clock.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        page = Client().get(_path(link), follow=True).content.decode()
    assert 'name="new_password1"' not in page and "This link does not work" in page


def test_a_deactivated_account_or_an_unaccepted_invitation_cannot_be_reset_into(
    personas, accounts_worker, django_capture_on_commit_callbacks
):
    leaving = personas.billing
    uid, token = urlsafe_base64_encode(force_bytes(leaving.pk)), default_token_generator.make_token(leaving)
    staff_deactivate(actor=personas.admin, user=leaving)
    invited = staff_invite(
        actor=personas.admin, email="new@example.test", first_name="New", last_name="Person", role="front_desk"
    ).user
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(Client(), leaving.email)["Location"] == "/accounts/password-reset/sent/"
        assert _ask(Client(), invited.email)["Location"] == "/accounts/password-reset/sent/"
    accounts_worker.run()
    assert mail.outbox == []
    # A link sent before the account was deactivated stops working with it.
    page = Client().get(f"/accounts/password-reset/{uid}/{token}/", follow=True).content.decode()
    assert 'name="new_password1"' not in page
    assert not User.objects.get(pk=leaving.pk).check_password(NEW_PASSWORD)
    assert User.objects.get(pk=leaving.pk).check_password(PASSWORD)


def test_requests_are_limited_per_address_and_per_client(
    personas, settings, accounts_worker, django_capture_on_commit_callbacks
):
    settings.CLINIC_PASSWORD_RESET_RATE_PER_EMAIL = "2/hour"
    settings.CLINIC_PASSWORD_RESET_RATE_PER_CLIENT = "3/hour"
    email = personas.patient_user.email
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(2):
            assert _ask(Client(), email, REMOTE_ADDR=f"10.0.0.{n + 1}").status_code == 302
        from_elsewhere = _ask(Client(), email.upper(), REMOTE_ADDR="10.0.0.9")
    accounts_worker.run()
    assert from_elsewhere.status_code == 429 and len(mail.outbox) == 2
    # An address without an account is limited the same way, so the limit tells nothing.
    for n in range(2):
        _ask(Client(), "nobody@example.test", REMOTE_ADDR=f"10.0.1.{n + 1}")
    assert _ask(Client(), "nobody@example.test", REMOTE_ADDR="10.0.1.9").status_code == 429

    for n in range(3):
        assert _ask(Client(), f"someone{n}@example.test", REMOTE_ADDR="10.0.2.1").status_code == 302
    assert _ask(Client(), "someone-else@example.test", REMOTE_ADDR="10.0.2.1").status_code == 429


def test_the_django_admin_sets_no_password_but_sends_the_owner_a_link(
    personas, superuser_admin, accounts_worker, django_capture_on_commit_callbacks
):
    user = personas.patient_user
    assert superuser_admin.get(f"/admin/accounts/user/{user.pk}/password/").status_code == 404
    page = superuser_admin.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert f"/admin/accounts/user/{user.pk}/password/" not in page and "../password/" not in page
    with django_capture_on_commit_callbacks(execute=True):
        superuser_admin.post("/admin/accounts/user/", {"action": "send_password_reset", "_selected_action": [user.pk]})
    accounts_worker.run()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert AccessLog.objects.filter(action="password_reset_link_send", actor=personas.admin).exists()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_the_django_admin_cannot_point_a_patients_reset_link_at_another_address(
    personas, superuser_admin, accounts_worker, django_capture_on_commit_callbacks
):
    """Changing the address a patient signs in with, then sending a reset link, would hand the admin the link and the
    account: the sign-in email is read-only there for everyone, staff or not."""
    user = personas.patient_user
    url = f"/admin/accounts/user/{user.pk}/change/"
    assert 'name="email"' not in superuser_admin.get(url).content.decode()
    superuser_admin.post(url, {"email": "admin.owns.this@example.test", "first_name": "P", "last_name": "Q"})
    assert User.objects.get(pk=user.pk).email == user.email
    with django_capture_on_commit_callbacks(execute=True):
        superuser_admin.post("/admin/accounts/user/", {"action": "send_password_reset", "_selected_action": [user.pk]})
    accounts_worker.run()
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_the_service_sends_nothing_for_an_unknown_address(accounts_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert password_reset_send(email="nobody@example.test") == 0
    accounts_worker.run()
    assert mail.outbox == []


def test_a_request_sends_no_email_itself_and_hands_the_worker_ids_only(
    personas, accounts_worker, django_capture_on_commit_callbacks
):
    """Sending takes time a request for an unknown address would not spend: both hand one task to the worker, and
    neither writes to the mail server. What the task carries would let nobody set a password."""
    user = personas.patient_user
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask(Client(), user.email)
        unknown = _ask(Client(), "nobody@example.test")
    assert known.status_code == unknown.status_code == 302
    assert mail.outbox == []
    sending = "apps.accounts.tasks.password_reset_emails_send"
    assert accounts_worker.queued == [
        {"task": sending, "args": [[user.pk]], "kwargs": {}},
        {"task": sending, "args": [[]], "kwargs": {}},
    ]

    accounts_worker.run()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert _reset(Client(), _link(mail.outbox[0])).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_nothing_is_handed_to_the_worker_before_the_request_commits(personas, accounts_worker):
    _ask(Client(), personas.patient_user.email)  # the test's transaction never commits
    assert accounts_worker.queued == [] and mail.outbox == []


def test_the_worker_sends_no_link_to_an_account_deactivated_since_it_was_asked_for(personas):
    staff_deactivate(actor=personas.admin, user=personas.billing)
    assert tasks.password_reset_emails_send([personas.billing.pk]) == 0
    assert mail.outbox == []


def test_the_owner_is_told_their_password_was_changed_with_nothing_to_click(
    personas, accounts_worker, django_capture_on_commit_callbacks
):
    ClinicSettings.objects.update_or_create(id=1, defaults={"phone": "(617) 555-0100"})
    user = personas.patient_user
    with django_capture_on_commit_callbacks(execute=True):
        _ask(Client(), user.email)
    accounts_worker.run()
    link = _link(mail.outbox[0])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert _reset(Client(), link).status_code == 302
    assert mail.outbox == []  # told by the worker, after the new password is saved
    accounts_worker.run()
    [notice] = mail.outbox
    assert notice.to == [user.email]
    assert "password" in notice.subject.lower() and "changed" in notice.subject.lower()
    assert "http" not in notice.body and not notice.alternatives  # nothing in it can change anything
    assert "(617) 555-0100" in notice.body and "contact the clinic" in notice.body
    for detail in (user.first_name, user.last_name, NEW_PASSWORD):
        assert detail not in notice.body


def test_no_notice_is_sent_when_the_reset_is_refused(personas, accounts_worker, django_capture_on_commit_callbacks):
    user = personas.billing
    uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    client = Client()
    form = client.get(f"/accounts/password-reset/{uid}/{token}/", follow=True)
    staff_deactivate(actor=personas.admin, user=user)  # after the form opened, before it is sent
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    accounts_worker.run()
    assert mail.outbox == []
