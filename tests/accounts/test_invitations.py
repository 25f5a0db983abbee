"""Patients join by an emailed invitation link that lets them set a password."""

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.core import mail
from django.test import Client

from apps.patients.services import patient_invite_to_portal

pytestmark = pytest.mark.django_db(transaction=True)


def _invite_link(outbox) -> str:
    return urlparse(re.search(r"http\S+/accounts/invite/\S+/", outbox[-1].body).group(0)).path


def test_front_desk_invites_a_patient_who_sets_a_password_and_reaches_the_portal(personas, login):
    patient = personas.patient
    patient.user = None
    patient.save()
    client = login(personas.front_desk)
    assert client.post(f"/patients/{patient.pk}/invite/").status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]
    link = _invite_link(mail.outbox)

    visitor = Client()
    response = visitor.post(link, {"password1": "a calm new passphrase", "password2": "a calm new passphrase"})
    assert response.status_code == 302
    assert visitor.get("/portal/").status_code == 200
    patient.refresh_from_db()
    assert patient.user.is_active and patient.user.check_password("a calm new passphrase")


def test_an_invitation_link_works_once(personas):
    patient = personas.patient
    patient.user = None
    patient.save()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    link = _invite_link(mail.outbox)
    Client().post(link, {"password1": "a calm new passphrase", "password2": "a calm new passphrase"})
    assert Client().get(link).status_code == 404


def test_an_expired_invitation_is_refused(personas):
    patient = personas.patient
    patient.user = None
    patient.save()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    link = _invite_link(mail.outbox)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=8)):
        assert Client().get(link).status_code == 404


def test_an_invitation_email_carries_no_clinical_or_demographic_detail(personas):
    patient = personas.patient
    patient.user = None
    patient.save()
    patient_invite_to_portal(actor=personas.front_desk, patient=patient)
    body = mail.outbox[-1].body
    assert patient.legal_last_name not in body
    assert str(patient.date_of_birth.year) not in body


def test_admin_invites_a_staff_member_who_must_then_enrol_mfa(personas, login):
    client = login(personas.admin)
    response = client.post(
        "/accounts/users/",
        {"email": "new.therapist@example.test", "first_name": "Nia", "last_name": "Vance", "role": "therapist"},
    )
    assert response.status_code == 302
    visitor = Client()
    visitor.post(
        _invite_link(mail.outbox), {"password1": "a calm new passphrase", "password2": "a calm new passphrase"}
    )
    assert visitor.get("/patients/")["Location"].startswith("/accounts/mfa/setup/")


def test_front_desk_cannot_invite_staff(personas, login):
    client = login(personas.front_desk)
    response = client.post(
        "/accounts/users/", {"email": "x@example.test", "first_name": "X", "last_name": "Y", "role": "admin"}
    )
    assert response.status_code == 403
    assert mail.outbox == []
