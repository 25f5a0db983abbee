"""Personas: who may and may not act. Every permission test is written in their names."""

import uuid
from types import SimpleNamespace

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from apps.accounts.roles import Role

from .factories import PatientFactory, TherapistFactory, UserFactory


@pytest.fixture(autouse=True)
def _shipped_reference_data(request):
    """Rows the data migrations ship (the note templates) exist in every database test.

    Transactional tests end by emptying every table, migration rows included, so the next test puts back what
    is missing (inside its own transaction when it has one).
    """
    if request.node.get_closest_marker("django_db") is None:
        if not {"db", "transactional_db"} & set(request.fixturenames):
            return
        request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    from apps.notes.services import note_templates_ensure

    note_templates_ensure()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own key space in the real Redis cache (never flush: Redis is shared)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def personas(db):
    """A therapist and their patient, another therapist, front desk, billing, admin, and an unrelated patient."""
    therapist = TherapistFactory(email="therapist@example.test", first_name="Theo", last_name="Rapist")
    other_therapist = TherapistFactory(email="other.therapist@example.test")
    patient_user = UserFactory(email="patient@example.test", roles=[Role.PATIENT])
    patient = PatientFactory(
        user=patient_user, primary_therapist=therapist, legal_first_name="Pat", legal_last_name="Ient"
    )
    other_patient_user = UserFactory(email="other.patient@example.test", roles=[Role.PATIENT])
    other_patient = PatientFactory(user=other_patient_user, primary_therapist=other_therapist)
    return SimpleNamespace(
        therapist=therapist,
        other_therapist=other_therapist,
        front_desk=UserFactory(email="frontdesk@example.test", roles=[Role.FRONT_DESK]),
        billing=UserFactory(email="billing@example.test", roles=[Role.BILLING]),
        admin=UserFactory(email="admin@example.test", roles=[Role.ADMIN]),
        patient_user=patient_user,
        patient=patient,
        other_patient_user=other_patient_user,
        other_patient=other_patient,
    )


def verify_mfa(client: Client, user) -> None:
    """Pass the TOTP challenge for a staff user on a logged-in client."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    # A TOTP code is accepted once per time step; tests sign the same user in more than once.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    response = client.post("/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302, response.content


@pytest.fixture
def login():
    """login(user) -> a Django test client signed in (and MFA-verified if the account needs MFA)."""

    def _login(user, *, api: bool = False):
        client = APIClient() if api else Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if user.requires_mfa:
            verify_mfa(client, user)
        return client

    return _login
