"""A NUL character in sent text is a 400 with a message, before any view: Postgres text cannot hold one, and a view
writing what it was sent would otherwise fail as a server error."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from apps.core.null_characters import _carries_nul
from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory, api_token_for

pytestmark = pytest.mark.django_db


def test_a_page_form_with_a_nul_is_refused_and_nothing_changes(personas, login):
    session = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    response = login(personas.patient_user).post(f"/portal/sessions/{session.pk}/cancel/", {"reason": "a\x00b"})
    assert response.status_code == 400 and "cannot contain a NUL character" in response.content.decode()
    assert Appointment.objects.get(pk=session.pk).status == "booked"


def test_an_api_body_with_an_escaped_nul_is_a_400_in_the_apis_shape(personas, client):
    body = json.dumps({"legal_first_name": "Ro\u0000sa", "legal_last_name": "Q", "date_of_birth": "1979-03-04"})
    response = client.post(
        "/api/patients/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token_for(personas.front_desk)}",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "NUL" in response.json()["error"]["message"]


def test_a_json_text_holding_a_backslash_then_u0000_is_not_a_nul():
    factory = RequestFactory()
    literal = json.dumps({"note": "C:\\u0000 is a folder"})  # the text holds a backslash, then "u0000"
    assert "\\\\u0000" in literal
    assert not _carries_nul(factory.post("/x/", literal, content_type="application/json"))
    assert _carries_nul(factory.post("/x/", json.dumps({"note": "a\u0000b"}), content_type="application/json"))


def test_an_uploaded_file_may_hold_nul_bytes_its_text_fields_may_not():
    factory = RequestFactory()
    upload = SimpleUploadedFile("proof.pdf", b"%PDF-1.4\x00\x00binary", content_type="application/pdf")
    assert not _carries_nul(factory.post("/x/", {"proof": upload, "note": "fine"}))
    assert _carries_nul(factory.post("/x/", {"proof": upload, "note": "not\x00fine"}))


def test_a_webhook_reading_its_raw_body_still_can_after_the_check(client):
    # A form-encoded post to the card provider's webhook: the check reads the body first and keeps it, so the
    # webhook's own signature check answers (400), not a server error.
    response = client.post("/api/billing/webhooks/stripe/", {"type": "charge.refunded"})
    assert response.status_code == 400
