"""The referrals API: bad input answers a clear 4xx, never a 500 or a half-written referral."""

import pytest

from apps.core import clock
from apps.referrals.models import ClearanceDocument, InboundReferral

from .conftest import clearance_pdf

pytestmark = pytest.mark.django_db


def _inbound(**overrides) -> dict:
    return {
        "provider_name": "Dr. Maya Chen",
        "reason": "Back pain",
        "received_on": clock.local_now().date().isoformat(),
        **overrides,
    }


def test_logging_a_referral_with_its_clearance(personas, login):
    client = login(personas.front_desk, api=True)
    response = client.post(
        "/api/referrals/inbound/", _inbound(prospect_name="Jordan Ellis", clearance=clearance_pdf()), format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["clearance"] == "received" and response.json()["status"] == "received"
    assert client.get("/api/referrals/inbound/").json()["results"][0]["id"] == response.json()["id"]


def test_a_clearance_of_the_wrong_type_is_a_400(personas, login):
    response = login(personas.front_desk, api=True).post(
        "/api/referrals/inbound/",
        _inbound(prospect_name="Jordan Ellis", clearance=clearance_pdf("x.pdf", b"not a pdf")),
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["Wrong file type."]}
    assert not InboundReferral.objects.exists() and not ClearanceDocument.objects.exists()


def test_accepting_without_a_patient_is_a_422(personas, login, receive):
    referral = receive(patient=None, prospect_name="Jordan Ellis")
    response = login(personas.front_desk, api=True).post(
        f"/api/referrals/inbound/{referral.pk}/accept/", {}, format="json"
    )
    assert response.status_code == 422 and "Link the referral" in response.json()["error"]["message"]


def test_accepting_onto_a_chart_links_it(personas, login, receive):
    referral = receive(patient=None, prospect_name="Jordan Ellis")
    response = login(personas.front_desk, api=True).post(
        f"/api/referrals/inbound/{referral.pk}/accept/", {"patient": personas.patient.pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["patient"] == personas.patient.pk


def test_a_referral_with_no_one_named_is_a_422(personas, login):
    response = login(personas.front_desk, api=True).post("/api/referrals/inbound/", _inbound(), format="json")
    assert response.status_code == 422


def test_declining_twice_is_a_409(personas, login, receive):
    referral = receive()
    client = login(personas.front_desk, api=True)
    assert (
        client.post(f"/api/referrals/inbound/{referral.pk}/decline/", {"reason": "No"}, format="json").status_code
        == 200
    )
    assert (
        client.post(f"/api/referrals/inbound/{referral.pk}/decline/", {"reason": "No"}, format="json").status_code
        == 409
    )


def test_sending_without_a_release_is_a_409_and_with_one_it_is_sent(personas, login, request):
    client = login(personas.therapist, api=True)
    created = client.post(
        "/api/referrals/outbound/",
        {
            "patient": personas.patient.pk,
            "recipient_kind": "psychiatrist",
            "recipient_name": "Dr. Okafor",
            "reason": "Sleep",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    refused = client.post(f"/api/referrals/outbound/{pk}/send/", {}, format="json")
    assert refused.status_code == 409 and "release of information" in refused.json()["error"]["message"]
    release = request.getfixturevalue("signed_release")
    sent = client.post(f"/api/referrals/outbound/{pk}/send/", {}, format="json")
    assert sent.status_code == 200 and sent.json()["status"] == "sent" and sent.json()["release"] == release.pk


def test_an_unknown_provider_kind_is_a_400(personas, login):
    response = login(personas.therapist, api=True).post(
        "/api/referrals/outbound/",
        {"patient": personas.patient.pk, "recipient_kind": "astrologer", "recipient_name": "X", "reason": "Y"},
        format="json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(("who", "status"), [("therapist", 403), ("billing", 403), ("patient_user", 403)])
def test_the_queue_and_logging_are_the_desks(personas, login, who, status):
    client = login(getattr(personas, who), api=True)
    assert client.get("/api/referrals/inbound/").status_code == status
    assert client.post("/api/referrals/inbound/", _inbound(prospect_name="A"), format="json").status_code == status


def test_another_therapists_patient_is_not_found(personas, login, receive):
    referral = receive()
    client = login(personas.other_therapist, api=True)
    assert client.get(f"/api/referrals/inbound/{referral.pk}/").status_code == 404
    assert client.get(f"/api/referrals/outbound/?patient={personas.patient.pk}").status_code == 404


@pytest.mark.parametrize("received_on", ["1900-01-01", "0001-01-01"])
def test_a_referral_dated_beyond_the_clinics_records_is_refused_naming_the_dates_accepted(personas, login, received_on):
    response = login(personas.front_desk, api=True).post(
        "/api/referrals/inbound/", _inbound(prospect_name="Jordan Ellis", received_on=received_on), format="multipart"
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["message"].startswith("Choose a date from ")
    assert "received_on" in response.json()["error"]["fields"]
    assert not InboundReferral.objects.exists()


LONG_EMAIL = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.example"  # a valid address longer than 254 characters


@pytest.mark.parametrize("field", ["prospect_email", "provider_email"])
def test_an_inbound_email_longer_than_its_column_is_a_400_naming_it(personas, login, field):
    response = login(personas.front_desk, api=True).post(
        "/api/referrals/inbound/", _inbound(prospect_name="Jordan Ellis", **{field: LONG_EMAIL}), format="json"
    )
    assert response.status_code == 400 and field in response.json()["error"]["fields"], response.content
    assert not InboundReferral.objects.exists()


def test_an_outbound_email_longer_than_its_column_is_a_400_naming_it(personas, login):
    response = login(personas.therapist, api=True).post(
        "/api/referrals/outbound/",
        {
            "patient": personas.patient.pk,
            "recipient_kind": "psychiatrist",
            "recipient_name": "Dr. Okafor",
            "recipient_email": LONG_EMAIL,
            "reason": "Sleep",
        },
        format="json",
    )
    assert response.status_code == 400 and "recipient_email" in response.json()["error"]["fields"], response.content
