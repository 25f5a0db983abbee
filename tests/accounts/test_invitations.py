"""Patients join by an emailed invitation link that lets them set a password."""

import datetime as dt
import re
from smtplib import SMTPServerDisconnected
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import IntegrityError, transaction
from django.test import Client

from apps.accounts import tasks
from apps.accounts.models import Invitation, User
from apps.accounts.services import invitation_send
from apps.core import clock
from apps.patients.services import patient_invite_to_portal, patient_update

pytestmark = pytest.mark.django_db(transaction=True)


PASSWORD = {"password1": "a calm new passphrase", "password2": "a calm new passphrase"}


def _invite_link(outbox) -> str:
    return urlparse(re.search(r"http\S+/accounts/invite/\S+/", outbox[-1].body).group(0)).path


def _sent_link(worker) -> str:
    """The link in the newest invitation email, once the worker has sent what the requests handed it."""
    worker.run()
    return _invite_link(mail.outbox)


def test_front_desk_invites_a_patient_who_sets_a_password_and_reaches_the_portal(personas, login, accounts_worker):
    patient = personas.patient
    patient.user = None
    patient.save()
    client = login(personas.front_desk)
    assert client.post(f"/patients/{patient.pk}/invite/").status_code == 302
    accounts_worker.run()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]
    link = _sent_link(accounts_worker)

    visitor = Client()
    response = visitor.post(link, {"password1": "a calm new passphrase", "password2": "a calm new passphrase"})
    assert response.status_code == 302
    assert visitor.get("/portal/").status_code == 200
    patient.refresh_from_db()
    assert patient.user.is_active and patient.user.check_password("a calm new passphrase")


def test_without_an_email_the_chart_asks_for_one_instead_of_offering_an_invitation(personas, login):
    patient = personas.patient
    type(patient).objects.filter(pk=patient.pk).update(user=None, email="")
    page = login(personas.front_desk).get(f"/patients/{patient.pk}/").content.decode()
    assert "Invite to portal</button>" not in page
    assert "No email on the chart to invite them to the portal" in page and f"/patients/{patient.pk}/edit/" in page


def test_an_invitation_link_works_once(personas, accounts_worker):
    patient = personas.patient
    patient.user = None
    patient.save()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    link = _sent_link(accounts_worker)
    Client().post(link, {"password1": "a calm new passphrase", "password2": "a calm new passphrase"})
    assert Client().get(link).status_code == 404


def test_an_invitation_expires_after_72_hours(personas, accounts_worker):
    patient = personas.patient
    patient.user = None
    patient.save()
    sent_at = dt.datetime.now(tz=dt.UTC)
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    link = _sent_link(accounts_worker)
    with time_machine.travel(sent_at + dt.timedelta(hours=71, minutes=59), tick=False):
        assert Client().get(link).status_code == 200
    with time_machine.travel(sent_at + dt.timedelta(hours=72, minutes=1), tick=False):
        assert Client().get(link).status_code == 404
        assert Client().post(link, PASSWORD).status_code == 404
    patient.refresh_from_db()
    assert not patient.user.has_usable_password()


def test_the_invitation_lifetime_is_a_setting(personas, settings, accounts_worker):
    settings.CLINIC_INVITATION_VALID_HOURS = 2
    patient = personas.patient
    patient.user = None
    patient.save()
    sent_at = dt.datetime.now(tz=dt.UTC)
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    link = _sent_link(accounts_worker)
    with time_machine.travel(sent_at + dt.timedelta(hours=2, minutes=1), tick=False):
        assert Client().get(link).status_code == 404


def _uninvited(patient):
    patient.user = None
    patient.save()
    return patient


def test_reinviting_a_patient_revokes_the_first_link(personas, login, accounts_worker):
    patient = _uninvited(personas.patient)
    client = login(personas.front_desk)
    client.post(f"/patients/{patient.pk}/invite/")
    first = _sent_link(accounts_worker)
    client.post(f"/patients/{patient.pk}/invite/")
    second = _sent_link(accounts_worker)
    assert first != second

    holder = Client()
    assert holder.get(first).status_code == 404
    assert holder.post(first, PASSWORD).status_code == 404
    assert holder.get("/portal/").status_code == 302  # not signed in
    patient.refresh_from_db()
    assert not patient.user.has_usable_password() and not patient.user.is_active

    assert Client().post(second, PASSWORD).status_code == 302


def test_a_used_link_cannot_set_the_password_again(personas, accounts_worker):
    patient = _uninvited(personas.patient)
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    link = _sent_link(accounts_worker)
    assert Client().post(link, PASSWORD).status_code == 302
    assert (
        Client().post(link, {"password1": "another passphrase 42", "password2": "another passphrase 42"}).status_code
        == 404
    )
    patient.refresh_from_db()
    assert patient.user.check_password(PASSWORD["password1"])


def test_changing_the_patients_email_revokes_the_link_sent_to_the_old_address(personas, login, accounts_worker):
    patient = _uninvited(personas.patient)
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    old_link = _sent_link(accounts_worker)
    patient_update(actor=personas.front_desk, patient=patient, email="pat.new@example.test")
    assert Client().post(old_link, PASSWORD).status_code == 404
    patient.refresh_from_db()
    assert not patient.user.has_usable_password()


def test_accepting_makes_the_invited_address_the_login_email(personas, accounts_worker):
    patient = _uninvited(personas.patient)
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)  # account made with the old address
    patient_update(actor=personas.front_desk, patient=patient, email="Pat.New@example.test")
    patient.refresh_from_db()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    accounts_worker.run()
    assert mail.outbox[-1].to == ["pat.new@example.test"]
    visitor = Client()
    assert visitor.post(_sent_link(accounts_worker), PASSWORD).status_code == 302
    patient.refresh_from_db()
    assert patient.user.email == "pat.new@example.test"
    signed_in = Client().post(
        "/accounts/login/", {"username": "pat.new@example.test", "password": PASSWORD["password1"]}
    )
    assert signed_in.status_code == 302


def test_a_staff_reinvitation_revokes_the_first_link(personas, login, accounts_worker):
    login(personas.admin).post(
        "/accounts/users/",
        {"email": "new.therapist@example.test", "first_name": "Nia", "last_name": "Vance", "role": "therapist"},
    )
    first = _sent_link(accounts_worker)
    staff = User.objects.get(email="new.therapist@example.test")
    invitation_send(actor=personas.admin, email=staff.email, role="therapist", user=staff)
    second = _sent_link(accounts_worker)
    assert Client().post(first, PASSWORD).status_code == 404
    staff.refresh_from_db()
    assert not staff.is_active and not staff.has_usable_password()
    assert Client().post(second, PASSWORD).status_code == 302


def test_a_staff_invitation_expires_after_72_hours(personas, login, accounts_worker):
    sent_at = dt.datetime.now(tz=dt.UTC)
    login(personas.admin).post(
        "/accounts/users/",
        {"email": "new.therapist@example.test", "first_name": "Nia", "last_name": "Vance", "role": "therapist"},
    )
    link = _sent_link(accounts_worker)
    with time_machine.travel(sent_at + dt.timedelta(hours=72, minutes=1), tick=False):
        assert Client().post(link, PASSWORD).status_code == 404
    assert not User.objects.get(email="new.therapist@example.test").is_active


def test_the_database_holds_at_most_one_pending_invitation_per_person(personas):
    patient = _uninvited(personas.patient)
    invitation = patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            email=invitation.email,
            role=invitation.role,
            token_hash="x" * 64,
            expires_at=invitation.expires_at,
            user=invitation.user,
        )


def test_an_invitation_email_carries_no_clinical_or_demographic_detail(personas, accounts_worker):
    patient = personas.patient
    patient.user = None
    patient.save()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    accounts_worker.run()
    body = mail.outbox[-1].body
    assert patient.legal_last_name not in body
    assert str(patient.date_of_birth.year) not in body


def test_admin_invites_a_staff_member_who_must_then_enrol_mfa(personas, login, accounts_worker):
    client = login(personas.admin)
    response = client.post(
        "/accounts/users/",
        {"email": "new.therapist@example.test", "first_name": "Nia", "last_name": "Vance", "role": "therapist"},
    )
    assert response.status_code == 302
    visitor = Client()
    visitor.post(
        _sent_link(accounts_worker), {"password1": "a calm new passphrase", "password2": "a calm new passphrase"}
    )
    assert visitor.get("/patients/")["Location"].startswith("/accounts/mfa/setup/")


def test_front_desk_cannot_invite_staff(personas, login):
    client = login(personas.front_desk)
    response = client.post(
        "/accounts/users/", {"email": "x@example.test", "first_name": "X", "last_name": "Y", "role": "admin"}
    )
    assert response.status_code == 403
    assert mail.outbox == []


def test_accepting_keeps_the_roles_the_admin_set_since_the_invitation_was_sent(personas, login, accounts_worker):
    """An admin invites someone as an admin, then gives them the front desk role only before they accept: accepting
    sets their password and gives them nothing back. Roles are what the Users page says, not what the email said."""
    admin = login(personas.admin)
    admin.post(
        "/accounts/users/",
        {"email": "new.hire@example.test", "first_name": "Nia", "last_name": "Vance", "role": "admin"},
    )
    link = _sent_link(accounts_worker)
    invited = User.objects.get(email="new.hire@example.test")
    assert admin.post(f"/accounts/users/{invited.pk}/", {"roles": ["front_desk"]}).status_code == 302
    assert User.objects.get(pk=invited.pk).roles == {"front_desk"}

    assert Client().post(link, PASSWORD).status_code == 302

    accepted = User.objects.get(pk=invited.pk)
    assert accepted.is_active
    assert accepted.roles == {"front_desk"}


def test_an_expired_portal_invitation_is_sent_again_from_the_chart_and_only_the_new_link_works(
    personas, login, accounts_worker
):
    patient = personas.patient
    type(patient).objects.filter(pk=patient.pk).update(user=None)
    patient.refresh_from_db()
    client = login(personas.front_desk)
    client.post(f"/patients/{patient.pk}/invite/")
    old_link = _sent_link(accounts_worker)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Invited · emailed " in page and "Send the portal invitation again</button>" in page
    hours = settings.CLINIC_INVITATION_VALID_HOURS
    with time_machine.travel(clock.now() + dt.timedelta(hours=hours, minutes=1), tick=False):
        client = login(personas.front_desk)
        page = client.get(f"/patients/{patient.pk}/").content.decode()
        assert "Invitation expired" in page and "Send the portal invitation again</button>" in page
        mail.outbox.clear()
        assert client.post(f"/patients/{patient.pk}/invite/").status_code == 302
        new_link = _sent_link(accounts_worker)
        assert Client().get(old_link).status_code == 404
        response = Client().post(new_link, {"password1": "a calm new passphrase", "password2": "a calm new passphrase"})
        assert response.status_code == 302
        page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert ">Active<" in page and "invitation again" not in page and "Invite to portal</button>" not in page


def test_a_closed_portal_account_is_not_invited_again(personas, login, accounts_worker):
    type(personas.patient_user).objects.filter(pk=personas.patient_user.pk).update(is_active=False)
    client = login(personas.front_desk)
    page = client.get(f"/patients/{personas.patient.pk}/").content.decode()
    assert ">Closed<" in page and "Invite to portal" not in page and "invitation again" not in page
    assert client.post(f"/patients/{personas.patient.pk}/invite/").status_code == 302
    accounts_worker.run()
    assert mail.outbox == []


SENDING = "apps.accounts.tasks.invitation_email_send"
NEW_HIRE = {"email": "new.hire@example.test", "first_name": "Nia", "last_name": "Vance", "role": "billing"}


def test_an_invitation_request_sends_no_email_itself_and_hands_the_worker_the_invitations_id_only(
    personas, login, accounts_worker
):
    """The worker makes the link when it sends the email: what the broker carries would let nobody set a password."""
    patient = _uninvited(personas.patient)
    assert login(personas.front_desk).post(f"/patients/{patient.pk}/invite/").status_code == 302
    assert login(personas.admin).post("/accounts/users/", NEW_HIRE).status_code == 302
    assert mail.outbox == []
    patient.refresh_from_db()
    portal = Invitation.objects.get(email=patient.email)
    staff = Invitation.objects.get(email=NEW_HIRE["email"])
    assert accounts_worker.queued == [
        {"task": SENDING, "args": [portal.pk], "kwargs": {}},
        {"task": SENDING, "args": [staff.pk], "kwargs": {}},
    ]

    accounts_worker.run()
    assert [m.to for m in mail.outbox] == [[patient.email], [NEW_HIRE["email"]]]
    for sent in mail.outbox:
        assert Client().post(_invite_link([sent]), PASSWORD).status_code == 302
    assert User.objects.get(pk=patient.user_id).is_active and User.objects.get(email=NEW_HIRE["email"]).is_active


def test_a_mail_server_refusing_does_not_fail_the_invitation(personas, login, accounts_worker, refusing_mail_server):
    """The invitation is saved whatever the mail server does; the worker sends it (and retries) on its own."""
    patient = _uninvited(personas.patient)
    chart = login(personas.front_desk).post(f"/patients/{patient.pk}/invite/", follow=True)
    assert chart.status_code == 200 and "Invitation waiting to be sent" in chart.content.decode()
    patient.refresh_from_db()
    admin = login(personas.admin)
    assert admin.post("/accounts/users/", NEW_HIRE).status_code == 302
    invited = User.objects.get(email=NEW_HIRE["email"])
    assert admin.post(f"/accounts/users/{invited.pk}/invite-again/").status_code == 302
    assert Invitation.objects.filter(user__in=[patient.user_id, invited.pk], revoked_at=None).count() == 2
    assert [call["task"] for call in accounts_worker.queued] == [SENDING] * 3


def test_the_worker_retries_a_refused_email_and_the_link_it_then_sends_works(personas, accounts_worker, monkeypatch):
    patient = _uninvited(personas.patient)
    invitation = patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    refused = []
    send = locmem.EmailBackend.send_messages

    def refuse_once(backend, messages):
        if not refused:
            refused.append(messages)
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_once)
    assert tasks.invitation_email_send.apply(args=[invitation.pk]).successful()
    assert len(refused) == 1 and [m.to for m in mail.outbox] == [[patient.email]]
    assert Client().post(_invite_link(mail.outbox), PASSWORD).status_code == 302


def test_an_invitation_revoked_before_the_worker_runs_sends_nothing(personas, login, accounts_worker):
    """Sent again, withdrawn, or the chart's email corrected before the worker got to it: only a link that still
    works goes out."""
    admin = login(personas.admin)
    admin.post("/accounts/users/", NEW_HIRE)
    withdrawn = User.objects.get(email=NEW_HIRE["email"])
    assert admin.post(f"/accounts/users/{withdrawn.pk}/deactivate/", {"confirmed": "yes"}).status_code == 302
    patient = _uninvited(personas.patient)
    front_desk = login(personas.front_desk)
    front_desk.post(f"/patients/{patient.pk}/invite/")
    patient_update(actor=personas.front_desk, patient=patient, email="pat.new@example.test")
    front_desk.post(f"/patients/{patient.pk}/invite/")
    front_desk.post(f"/patients/{patient.pk}/invite/")
    assert len(accounts_worker.queued) == 4

    accounts_worker.run()
    [sent] = mail.outbox
    assert sent.to == ["pat.new@example.test"]
    assert Client().post(_invite_link(mail.outbox), PASSWORD).status_code == 302
