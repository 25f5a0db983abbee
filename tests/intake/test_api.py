"""GET /api/intake-packets/?patient= and POST /api/intake-packets/: who may list and send, and the answers to bad
input."""

import pytest

from apps.intake.models import IntakeDocument, Packet
from apps.intake.services import document_publish

from .conftest import sign

pytestmark = pytest.mark.django_db

URL = "/api/intake-packets/"


@pytest.mark.parametrize("persona", ["front_desk", "admin", "therapist"])
def test_staff_who_may_see_the_patient_list_their_packets_with_each_documents_state(
    personas, login, sent, consent, persona
):
    sign(personas, consent)
    response = login(getattr(personas, persona), api=True).get(URL, {"patient": personas.patient.pk})
    assert response.status_code == 200
    (packet,) = response.json()
    assert (packet["id"], packet["complete"], packet["source"]) == (sent.pk, False, "front_desk")
    items = {item["document"]: item for item in packet["items"]}
    assert items[consent.pk]["signed"] and items[consent.pk]["signed_version"] == 1
    assert sum(item["signed"] for item in items.values()) == 1


def test_a_patient_lists_their_own_packets_without_naming_themselves(personas, login, sent):
    response = login(personas.patient_user, api=True).get(URL)
    assert response.status_code == 200 and [p["id"] for p in response.json()] == [sent.pk]


def test_a_new_version_shows_as_unsigned(personas, login, sent, consent):
    sign(personas, consent)
    document_publish(actor=personas.admin, document=consent, body="New words.")
    (packet,) = login(personas.front_desk, api=True).get(URL, {"patient": personas.patient.pk}).json()
    item = next(i for i in packet["items"] if i["document"] == consent.pk)
    assert (item["signed"], item["signed_version"], item["current_version"]) == (False, 1, 2)


@pytest.mark.parametrize("persona", ["other_therapist", "billing", "other_patient_user"])
def test_others_do_not_find_the_patients_packets(personas, login, sent, persona):
    response = login(getattr(personas, persona), api=True).get(URL, {"patient": personas.patient.pk})
    assert response.status_code == 404
    assert "Pat" not in response.content.decode()


def test_staff_must_name_a_patient(personas, login):
    assert login(personas.front_desk, api=True).get(URL).status_code == 404
    assert login(personas.front_desk, api=True).get(URL, {"patient": "x"}).status_code == 404


def test_the_front_desk_sends_a_packet(personas, login, consent):
    client = login(personas.front_desk, api=True)
    response = client.post(URL, {"patient": personas.patient.pk, "documents": [consent.pk]}, format="json")
    assert response.status_code == 201
    assert [item["document"] for item in response.json()["items"]] == [consent.pk]
    standard = client.post(URL, {"patient": personas.patient.pk}, format="json")
    assert len(standard.json()["items"]) == IntakeDocument.objects.filter(in_standard_packet=True).count()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"patient": "x"}, 400),
        ({"patient": 0}, 404),
        ({"patient": "PATIENT", "documents": []}, 400),
        ({"patient": "PATIENT", "documents": ["x"]}, 400),
        ({"patient": "PATIENT", "documents": [0]}, 404),
    ],
)
def test_bad_input_is_refused_and_sends_nothing(personas, login, body, status):
    data = {key: personas.patient.pk if value == "PATIENT" else value for key, value in body.items()}
    response = login(personas.front_desk, api=True).post(URL, data, format="json")
    assert response.status_code == status
    assert not Packet.objects.exists()


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_only_the_front_desk_and_admins_send_by_api(personas, login, persona):
    response = login(getattr(personas, persona), api=True).post(URL, {"patient": personas.patient.pk}, format="json")
    assert response.status_code == 403
    assert not Packet.objects.exists()


def test_billing_cannot_send_either(personas, login):
    response = login(personas.billing, api=True).post(URL, {"patient": personas.patient.pk}, format="json")
    assert response.status_code == 404
    assert not Packet.objects.exists()
