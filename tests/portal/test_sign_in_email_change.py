"""A patient changes the email they sign in with from the portal's Settings: their password again, then a link to the
new address, and nothing changes until that link is opened and confirmed by the account that asked. Both addresses
are told, the change is in the access log, and the old address's reset links and invitations stop working."""

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client

from apps.accounts.models import AccountEmail, AccountEmailKind, EmailFailure, User
from apps.accounts.roles import Role
from apps.accounts.services import account_emails_queue, invitation_send
from apps.audit.models import AccessLog
from apps.core import clock
from apps.notifications.links import appointment_link_url
from apps.patients.models import Patient
from tests.factories import PASSWORD, AppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "pat.elsewhere@example.test"


def _ask(client: Client, email: str = NEW, password: str = PASSWORD):
    return client.post("/portal/settings/sign-in-email/", {"email": email, "password": password})


def _asked_link(client, accounts_worker, capture, email: str = NEW) -> str:
    """Ask for `email` and answer the path of the link the worker emails to it."""
    with capture(execute=True):
        assert _ask(client, email).status_code == 302
    mail.outbox.clear()
    accounts_worker.run()
    (message,) = mail.outbox
    assert message.to == [email]
    link = re.search(r"https?://\S+/portal/settings/sign-in-email/\S+/", message.body).group(0)
    return link[len(settings.SITE_URL.rstrip("/")) :]


def _signs_in_with(user) -> str:
    return User.objects.get(pk=user.pk).email


def test_the_whole_journey_changes_nothing_until_the_link_is_confirmed(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    user, old = personas.patient_user, personas.patient_user.email
    client = login(user)
    signed_in_elsewhere = login(user)
    settings_page = client.get("/portal/settings/").content.decode()
    assert "Email you sign in with" in settings_page and old in settings_page

    with django_capture_on_commit_callbacks(execute=True):
        asked = _ask(client, NEW.upper())
    assert asked.status_code == 302
    said = client.get("/portal/settings/").content.decode()
    assert f"We emailed a link to {NEW}" in said
    accounts_worker.run()
    (message,) = mail.outbox
    assert message.to == [NEW] and old not in message.body
    assert _signs_in_with(user) == old  # asked, not changed

    path = re.search(r"https?://\S+(/portal/settings/sign-in-email/\S+/)", message.body).group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert "Also use it for reminders and receipts" in page.content.decode()
    assert _signs_in_with(user) == old  # opening the link changes nothing: pressing Confirm does

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(path, {"for_reminders": "on"})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/portal/settings/"
    assert _signs_in_with(user) == NEW
    assert Patient.objects.get(pk=personas.patient.pk).email == NEW
    log = AccessLog.objects.get(action="sign_in_email_change")
    assert (log.actor_id, log.detail) == (user.pk, {"before": old, "after": NEW})
    told = AccountEmail.objects.filter(user=user, kind=AccountEmailKind.SIGN_IN_EMAIL_CHANGED)
    assert sorted(told.values_list("to_address", flat=True)) == sorted([old, NEW])
    accounts_worker.run()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([old, NEW])
    assert all("from your patient portal's settings" in m.body for m in mail.outbox)

    assert client.get("/portal/").status_code == 200  # the session that confirmed stays signed in
    elsewhere = signed_in_elsewhere.get("/portal/")  # every other session ends: someone who had one keeps nothing
    assert elsewhere.status_code == 302 and elsewhere["Location"].startswith("/accounts/login/")
    fresh = Client()
    assert fresh.post("/accounts/login/", {"username": NEW, "password": PASSWORD}).status_code == 302
    assert fresh.get("/portal/").status_code == 200
    assert Client().post("/accounts/login/", {"username": old, "password": PASSWORD}).status_code == 200


def test_unticked_the_chart_keeps_its_email_for_reminders(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    chart_email = personas.patient.email
    client = login(personas.patient_user)
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)

    assert client.post(path, {}).status_code == 302

    assert _signs_in_with(personas.patient_user) == NEW
    assert Patient.objects.get(pk=personas.patient.pk).email == chart_email
    assert not AccessLog.objects.filter(action="contact_details_change").exists()


@pytest.mark.parametrize(("for_reminders", "link_works"), [({"for_reminders": "on"}, False), ({}, True)])
def test_a_reminder_link_sent_to_the_charts_old_email_stops_working_only_when_the_chart_takes_the_new_one(
    personas, login, accounts_worker, django_capture_on_commit_callbacks, for_reminders, link_works
):
    session = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    cancel = appointment_link_url(appointment=session, action="cancel").split("localhost:8000", 1)[-1]
    client = login(personas.patient_user)
    # A minute on: signing times are whole seconds, so the change is told apart from the reminder at any hour.
    with time_machine.travel(clock.now() + dt.timedelta(minutes=1)):
        path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
        assert client.post(path, for_reminders).status_code == 302
        opened = Client().post(cancel)
    assert opened.status_code == (200 if link_works else 404)
    session.refresh_from_db()
    assert session.status == ("cancelled" if link_works else "booked")


def test_a_wrong_password_is_refused_and_counted_as_a_failed_sign_in(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    user = personas.patient_user
    client = login(user)

    with django_capture_on_commit_callbacks(execute=True):
        refused = _ask(client, password="not my password")

    assert refused.status_code == 422
    assert "That is not your password. The email you sign in with is unchanged." in refused.content.decode()
    assert not AccountEmail.objects.filter(kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM).exists()
    accounts_worker.run()
    assert mail.outbox == []
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1


def test_wrong_passwords_lock_the_account_as_failed_sign_ins_do(personas, login):
    client = login(personas.patient_user)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _ask(client, password="guess")

    locked = _ask(client)  # the right password, once locked, is not checked

    assert locked.status_code == 429
    assert not AccountEmail.objects.filter(kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM).exists()
    signing_in = Client().post("/accounts/login/", {"username": personas.patient_user.email, "password": PASSWORD})
    assert signing_in.status_code == 429


def test_the_right_password_leaves_no_failure_behind(personas, login, django_capture_on_commit_callbacks):
    client = login(personas.patient_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(client).status_code == 302
    assert not AccessAttempt.objects.exists()
    signing_in = Client().post("/accounts/login/", {"username": personas.patient_user.email, "password": PASSWORD})
    assert signing_in.status_code == 302


def test_an_address_another_account_signs_in_with_is_refused_in_the_invitations_words(personas, login):
    client = login(personas.patient_user)

    refused = _ask(client, personas.other_patient_user.email.upper())

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Another account already signs in with this email address." in page
    assert not AccountEmail.objects.filter(kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM).exists()
    # Without the password nobody learns whether an address has an account.
    assert _ask(client, personas.other_patient_user.email, password="guess").status_code == 422


def test_the_address_already_signed_in_with_is_refused(personas, login):
    refused = _ask(login(personas.patient_user), personas.patient_user.email)
    assert refused.status_code == 422
    assert "That is already the email you sign in with." in refused.content.decode()


def test_an_address_taken_by_the_time_the_link_is_opened_is_refused(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    client = login(personas.patient_user)
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    UserFactory(email=NEW, roles=[Role.PATIENT])

    refused = client.post(path, {"for_reminders": "on"})

    assert refused.status_code == 409
    assert "Another account already signs in with this email address." in refused.content.decode()
    assert _signs_in_with(personas.patient_user) != NEW
    assert Patient.objects.get(pk=personas.patient.pk).email != NEW
    assert not AccessLog.objects.filter(action="sign_in_email_change").exists()


def test_a_link_works_once(personas, login, accounts_worker, django_capture_on_commit_callbacks):
    client = login(personas.patient_user)
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    assert client.post(path, {}).status_code == 302

    for again in (client.get(path), client.post(path, {})):
        assert again.status_code == 404
        assert "This link does not work" in again.content.decode()
    assert AccessLog.objects.filter(action="sign_in_email_change").count() == 1


def test_changing_back_does_not_bring_an_old_link_back(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    """A link is the account's newest request or nothing: A -> B, then B -> A, leaves the first link dead though
    the account signs in with the address it was made for again."""
    user, old = personas.patient_user, personas.patient_user.email
    client = login(user)
    first = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    client.post(first, {})
    back = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks, email=old)
    client.post(back, {})
    assert _signs_in_with(user) == old

    assert client.post(first, {}).status_code == 404
    assert _signs_in_with(user) == old


def test_a_newer_request_retires_the_earlier_link(personas, login, accounts_worker, django_capture_on_commit_callbacks):
    client = login(personas.patient_user)
    earlier = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    newer = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks, email="pat.third@example.test")

    assert client.post(earlier, {}).status_code == 404
    assert client.post(newer, {}).status_code == 302
    assert _signs_in_with(personas.patient_user) == "pat.third@example.test"


def test_a_link_expires(personas, login, accounts_worker, django_capture_on_commit_callbacks):
    client = login(personas.patient_user)
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)

    later = clock.now() + dt.timedelta(hours=settings.CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        expired = login(personas.patient_user).post(path, {})  # signed in afresh: the first session has timed out

    assert expired.status_code == 404 and "This link does not work" in expired.content.decode()
    assert _signs_in_with(personas.patient_user) != NEW


def _waiting_said(client) -> str:
    page = client.get("/portal/settings/").content.decode()
    found = re.search(r'<p id="sign-in-email-waiting">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_the_settings_page_says_where_the_link_went_until_it_is_used_or_ends(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    client = login(personas.patient_user)
    assert _waiting_said(client) == ""
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    said = _waiting_said(client)
    assert "Waiting" in said and NEW in said and "only the newest one works" in said

    later = clock.now() + dt.timedelta(hours=settings.CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        assert _waiting_said(login(personas.patient_user)) == ""  # the link has ended: nothing waits

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, {}).status_code == 302
    assert _waiting_said(client) == ""  # used: the page says the new address is the one signed in with


def test_the_settings_page_says_when_the_link_could_not_be_delivered(
    personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.patient_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(client).status_code == 302
    AccountEmail.objects.filter(user=personas.patient_user, kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM).update(
        attempts=3, last_failure=EmailFailure.ADDRESS_REFUSED, failed_at=clock.now()
    )
    said = _waiting_said(client)
    assert "Not delivered" in said and NEW in said and "Check the address and ask again" in said


@pytest.mark.parametrize("tamper", ["drop the last letter", "another request", "garbage"])
def test_a_tampered_link_changes_nothing(personas, login, accounts_worker, django_capture_on_commit_callbacks, tamper):
    client = login(personas.patient_user)
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[1]
    payload, signature = token.split(":", 1)
    altered = {
        "drop the last letter": token[:-1],
        "another request": f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}:{signature}",
        "garbage": "not-a-token",
    }[tamper]

    refused = client.post(f"/portal/settings/sign-in-email/{altered}/", {})

    assert refused.status_code == 404 and "This link does not work" in refused.content.decode()
    assert _signs_in_with(personas.patient_user) != NEW


def test_another_patients_session_cannot_use_the_link(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    path = _asked_link(login(personas.patient_user), accounts_worker, django_capture_on_commit_callbacks)
    someone_else = login(personas.other_patient_user)

    for opened in (someone_else.get(path), someone_else.post(path, {"for_reminders": "on"})):
        assert opened.status_code == 403
        assert "This link was sent for another account." in opened.content.decode()
    assert _signs_in_with(personas.patient_user) != NEW
    assert _signs_in_with(personas.other_patient_user) != NEW


def test_opened_signed_out_it_asks_to_sign_in_first(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    path = _asked_link(login(personas.patient_user), accounts_worker, django_capture_on_commit_callbacks)

    for opened in (Client().get(path), Client().post(path, {"for_reminders": "on"})):
        assert opened.status_code == 302 and opened["Location"].startswith("/accounts/login/?next=")
    assert _signs_in_with(personas.patient_user) != NEW


def test_staff_have_no_sign_in_email_change_in_the_portal(personas, login):
    client = login(personas.front_desk)
    assert _ask(client, "desk.elsewhere@example.test").status_code == 403
    assert not AccountEmail.objects.filter(kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM).exists()


def test_reset_links_and_invitations_of_the_old_address_stop_working(
    personas, login, accounts_worker, django_capture_on_commit_callbacks
):
    user = personas.patient_user
    client = login(user)
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    reset_token = default_token_generator.make_token(user)
    with django_capture_on_commit_callbacks(execute=True):  # handed to the worker, which has not run yet
        invitation = invitation_send(actor=personas.front_desk, email=user.email, role=Role.PATIENT, user=user)
        reset_waiting = account_emails_queue(user=user, kind=AccountEmailKind.PASSWORD_RESET, addresses=[user.email])[0]

    assert client.post(path, {}).status_code == 302

    changed = User.objects.get(pk=user.pk)
    assert not default_token_generator.check_token(changed, reset_token)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    mail.outbox.clear()
    accounts_worker.run()
    assert not AccountEmail.objects.filter(pk=reset_waiting.pk).exists()  # a reset link for the old address
    assert not any("reset" in m.subject.lower() or "invitation" in m.subject.lower() for m in mail.outbox)


def test_the_pages_query_counts(
    personas, login, accounts_worker, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The settings page reads only the newest request for the form (the session's user is read already); the
    confirmation page reads the request and checks that nothing newer was asked."""
    client = login(personas.patient_user)
    client.get("/portal/settings/")
    with django_assert_num_queries(6):
        page = client.get("/portal/settings/")
    assert 'action="/portal/settings/sign-in-email/"' in page.content.decode()
    path = _asked_link(client, accounts_worker, django_capture_on_commit_callbacks)
    client.get(path)
    with django_assert_num_queries(6):
        assert client.get(path).status_code == 200
