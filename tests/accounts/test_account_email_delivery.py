"""Accounts' own emails (a reset link, the notice of a changed password or sign-in email) leave a record of what
became of them: sent, retried, or given up after the last retry and why, shown where an admin sees how an invitation
stands. The record holds no link and no words of the email. An email the mail server may already have taken is not
sent again."""

import logging

import pytest
from django.test import Client

from apps.accounts import tasks
from apps.accounts.models import AccountEmail, Invitation, User
from apps.accounts.services import password_reset_complete
from apps.core.mail import DeliveryError
from tests.notifications.conftest import AnswersAfterQueueing, CountingHandler

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a brand new passphrase"


def _worker_until_done(accounts_worker) -> list:
    """Run what was queued as a worker would, each task with its retries, until nothing is left; their results."""
    by_name = {task.name: task for task in vars(tasks).values() if hasattr(task, "apply")}
    results = []
    while accounts_worker.queued:
        call = accounts_worker.queued.pop(0)
        results.append(by_name[call["task"]].apply(args=call["args"], kwargs=call["kwargs"]))
    return results


def _stored(row: AccountEmail) -> str:
    return " ".join(str(value) for value in AccountEmail.objects.filter(pk=row.pk).values().get().values())


def test_a_reset_email_the_mail_server_never_takes_is_recorded_as_failed_and_the_users_pages_say_so(
    personas, login, accounts_worker, refusing_mail_server, caplog
):
    member = personas.billing
    caplog.set_level(logging.DEBUG)
    assert Client().post("/accounts/password-reset/", {"email": member.email}).status_code == 302

    results = _worker_until_done(accounts_worker)
    assert results[-1].failed()

    [row] = AccountEmail.objects.filter(user=member)
    assert (row.kind, row.to_address) == ("password_reset", member.email)
    assert row.sent_at is None and row.failed_at is not None
    assert row.last_failure == "unreachable"
    assert row.attempts == tasks.account_email_send.max_retries + 1
    # Neither the record nor the log holds the link or anything of the email's words.
    assert "password-reset/" not in _stored(row) and "Choose a new password" not in _stored(row)
    assert "password-reset/" not in caplog.text

    admin = login(personas.admin)
    failed = "Password reset link could not be emailed: the mail server could not be reached"
    assert failed in admin.get("/accounts/users/").content.decode()
    assert failed in admin.get(f"/accounts/users/{member.pk}/").content.decode()


def test_a_reset_email_that_goes_out_is_recorded_as_sent_without_its_link(
    personas, login, accounts_worker, mail_server
):
    server = mail_server(CountingHandler())
    member = personas.billing
    Client().post("/accounts/password-reset/", {"email": member.email})

    assert all(result.successful() for result in _worker_until_done(accounts_worker))

    [sent] = server.messages
    assert b"/accounts/password-reset/" in sent["content"]
    [row] = AccountEmail.objects.filter(user=member)
    assert row.sent_at is not None and row.failed_at is None and not row.unconfirmed
    assert (row.attempts, row.last_failure) == (1, "")
    assert sent["message_id"].startswith(f"<account-email-{row.pk}@")
    assert "password-reset/" not in _stored(row)
    page = login(personas.admin).get(f"/accounts/users/{member.pk}/").content.decode()
    assert "Password reset link emailed" in page and "could not be emailed" not in page


def test_a_notice_the_mail_server_took_but_answered_too_late_is_not_sent_again(
    personas, login, accounts_worker, mail_server, settings
):
    settings.EMAIL_TIMEOUT = 0.5
    server = mail_server(AnswersAfterQueueing(delay=1.5))
    member = personas.billing
    password_reset_complete(user=member, password=NEW_PASSWORD)
    [queued] = accounts_worker.queued

    # The first try hands the whole message over and hears nothing in time; the task is then delivered again (a
    # worker killed before acknowledging it, or a retry): the stand-in has the notice once.
    _worker_until_done(accounts_worker)
    accounts_worker.queued.append(queued)
    _worker_until_done(accounts_worker)

    assert list(server.counts().values()) == [1]
    [row] = AccountEmail.objects.filter(user=member)
    assert row.kind == "password_changed" and row.sent_at is not None and row.unconfirmed
    assert row.failed_at is None and row.attempts == 1
    page = login(personas.admin).get(f"/accounts/users/{member.pk}/").content.decode()
    assert "Password changed notice emailed" in page and "not confirmed by the mail server" in page


def test_a_notice_refused_once_then_taken_arrives_once_and_says_it_was_emailed(
    personas, accounts_worker, mail_server, settings
):
    settings.EMAIL_TIMEOUT = 5
    handler = mail_server(CountingHandler())
    member = personas.billing
    handler.refuse[member.email] = "451 4.7.1 Try again later"
    password_reset_complete(user=member, password=NEW_PASSWORD)
    call = accounts_worker.queued.pop(0)

    with pytest.raises(DeliveryError):  # the worker retries it
        tasks.account_email_send(*call["args"], **call["kwargs"])
    [row] = AccountEmail.objects.filter(user=member)
    assert (row.attempts, row.last_failure, row.sent_at, row.failed_at) == (1, "address_refused", None, None)

    handler.refuse.clear()
    tasks.account_email_send(*call["args"], **call["kwargs"])
    assert [m["to"] for m in handler.messages] == [[member.email]]
    row.refresh_from_db()
    assert row.attempts == 2 and row.sent_at is not None and row.last_failure == ""


def test_a_changed_sign_in_email_is_told_at_each_address_with_a_record_each(
    personas, login, accounts_worker, mail_server
):
    server = mail_server(CountingHandler())
    member = personas.front_desk
    old_email = member.email
    admin = login(personas.admin)
    details = {"first_name": member.first_name, "last_name": member.last_name, "email": "desk@clinic.test"}
    assert admin.post(f"/accounts/users/{member.pk}/details/", details).status_code == 302

    _worker_until_done(accounts_worker)

    assert sorted(m["to"][0] for m in server.messages) == sorted([old_email, "desk@clinic.test"])
    rows = AccountEmail.objects.filter(user=User.objects.get(pk=member.pk))
    assert sorted(rows.values_list("to_address", flat=True)) == sorted([old_email, "desk@clinic.test"])
    assert all(row.kind == "sign_in_email_changed" and row.sent_at is not None for row in rows)


def test_an_invitation_the_mail_server_took_but_answered_too_late_is_not_sent_again(
    personas, login, accounts_worker, mail_server, settings
):
    settings.EMAIL_TIMEOUT = 0.5
    server = mail_server(AnswersAfterQueueing(delay=1.5))
    admin = login(personas.admin)
    hire = {"email": "new.hire@example.test", "first_name": "Nia", "last_name": "Vance", "role": "billing"}
    assert admin.post("/accounts/users/", hire).status_code == 302
    [queued] = accounts_worker.queued

    _worker_until_done(accounts_worker)
    accounts_worker.queued.append(queued)
    _worker_until_done(accounts_worker)

    assert list(server.counts().values()) == [1]
    invitation = Invitation.objects.get(email=hire["email"])
    assert invitation.emailed_at is not None and invitation.email_failed_at is None and invitation.email_unconfirmed
    # Staff are told the mail server never confirmed it, on the list and on the person's page.
    unconfirmed = "(not confirmed by the mail server)"
    assert unconfirmed in admin.get("/accounts/users/").content.decode()
    assert unconfirmed in admin.get(f"/accounts/users/{invitation.user_id}/").content.decode()


def test_an_invitation_the_mail_server_confirms_is_not_marked_unconfirmed(
    personas, login, accounts_worker, mail_server
):
    mail_server(CountingHandler())
    admin = login(personas.admin)
    hire = {"email": "new.hire@example.test", "first_name": "Nia", "last_name": "Vance", "role": "billing"}
    admin.post("/accounts/users/", hire)

    _worker_until_done(accounts_worker)

    invitation = Invitation.objects.get(email=hire["email"])
    assert invitation.emailed_at is not None and not invitation.email_unconfirmed
    page = admin.get("/accounts/users/").content.decode()
    assert "Invited · emailed" in page and "not confirmed by the mail server" not in page


def test_a_patients_reset_email_that_could_not_be_sent_shows_on_the_charts_portal_line(
    personas, login, accounts_worker, refusing_mail_server
):
    Client().post("/accounts/password-reset/", {"email": personas.patient_user.email})
    assert _worker_until_done(accounts_worker)[-1].failed()

    chart = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert "Password reset link could not be emailed: the mail server could not be reached" in chart
