"""Forms sent to a patient who cannot sign them yet: a chart never invited to the portal, or an invitation not yet
accepted. The front desk is told the forms are ready and what the patient still needs, on the patient page and in
the API's answer alike, never that the forms were sent."""

import pytest

from apps.intake.models import IntakeDocument
from apps.patients.services import patient_invite_to_portal
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer():
    return PatientFactory(legal_first_name="Rosa", legal_last_name="Audit")


def _standard_count() -> int:
    return IntakeDocument.objects.filter(in_standard_packet=True).count()


def _sent_from_the_page(client, patient) -> tuple[str, str]:
    """The message the patient page shows once the standard forms are sent from it, and the page."""
    documents = list(IntakeDocument.objects.filter(in_standard_packet=True).values_list("pk", flat=True))
    page = client.post(f"/intake/patients/{patient.pk}/send/", {"documents": documents}, follow=True)
    assert page.status_code == 200
    [message] = [str(m) for m in page.context["messages"]]
    return message, page.content.decode()


def test_forms_for_a_patient_never_invited_are_ready_and_the_desk_is_asked_to_invite(personas, login, newcomer):
    count = _standard_count()
    message, page = _sent_from_the_page(login(personas.front_desk), newcomer)
    assert f'action="/patients/{newcomer.pk}/invite/"' in page
    assert message == (
        f"{count} forms are ready for Rosa Audit; they can sign them once invited to the portal. "
        "Invite them from the top of this page."
    )


def test_forms_for_a_patient_yet_to_accept_the_invitation_wait_for_it(personas, login, newcomer):
    patient_invite_to_portal(actor=personas.front_desk, patient=newcomer)
    message, _ = _sent_from_the_page(login(personas.front_desk), newcomer)
    assert message == (
        f"{_standard_count()} forms are ready for Rosa Audit; they can sign them once they accept their portal "
        "invitation."
    )


def test_forms_for_a_patient_who_signs_in_are_sent(personas, login):
    assert _sent_from_the_page(login(personas.front_desk), personas.patient)[0] == (
        f"Sent {_standard_count()} forms to {personas.patient.display_name}."
    )


def test_the_api_answer_says_the_same(personas, login, newcomer):
    response = login(personas.front_desk, api=True).post(
        "/api/intake-packets/", {"patient": newcomer.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["notice"] == (
        f"{_standard_count()} forms are ready for Rosa Audit; they can sign them once invited to the portal."
    )
