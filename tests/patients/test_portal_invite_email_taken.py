"""A portal invitation goes to the chart's email; when that address already signs in to another account (a parent
and child sharing one address, a staff member's own), the chart says so instead of failing."""

import pytest
from django.core import mail

from apps.accounts.models import Invitation
from apps.core.errors import Conflict
from apps.patients.services import patient_invite_to_portal
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_inviting_a_patient_whose_email_is_another_accounts_is_refused_not_a_server_error(personas, login):
    sibling = PatientFactory(user=None, email=personas.patient.user.email.upper(), primary_therapist=personas.therapist)
    client = login(personas.front_desk)
    response = client.post(f"/patients/{sibling.pk}/invite/", follow=True)
    assert response.status_code == 200
    assert "already" in response.content.decode()
    sibling.refresh_from_db()
    assert sibling.user_id is None
    assert (
        not mail.outbox
        and not Invitation.objects.filter(email__iexact=sibling.email).exclude(user=personas.patient.user).exists()
    )


def test_the_service_refuses_with_a_conflict(personas):
    sibling = PatientFactory(user=None, email=personas.front_desk.email)
    with pytest.raises(Conflict, match="already"):
        patient_invite_to_portal(actor=personas.front_desk, patient=sibling)
    sibling.refresh_from_db()
    assert sibling.user_id is None
