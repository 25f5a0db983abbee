"""Bad input to the sliding-scale assessments API gets a clear 4xx in the API's error body, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/sliding-scale/assessments/{}/", None),
        ("post", "/api/sliding-scale/assessments/{}/approve/", {}),
        ("post", "/api/sliding-scale/assessments/{}/reject/", {"reason": "Proof missing."}),
    ],
)
def test_an_assessment_id_that_is_not_a_number_is_not_found(personas, login, method, path, body):
    response = getattr(login(personas.billing, api=True), method)(path.format("null"), body, format="json")
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("status", ["bogus", "pending\x00"])
def test_an_unknown_status_filter_is_a_validation_error(personas, login, status):
    response = login(personas.billing, api=True).get("/api/sliding-scale/assessments/", {"status": status})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_the_status_filter_still_filters(personas, login):
    from apps.billing.models import AssessmentStatus

    response = login(personas.billing, api=True).get(
        "/api/sliding-scale/assessments/", {"status": AssessmentStatus.PENDING}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/charges/", "/api/payments/", "/api/statements/"])
def test_a_ledger_patient_filter_that_is_not_an_id_is_ignored(personas, login, path):
    assert login(personas.billing, api=True).get(path, {"patient": "²"}).status_code == 200


def test_an_income_too_large_to_record_as_a_percentage_is_refused(personas, login, fee_config):
    from apps.billing.models import SlidingScaleAssessment

    client = login(personas.patient_user, api=True)
    response = client.post(
        "/api/sliding-scale/assessments/", {"household_size": 1, "annual_income": "999999999.99"}, format="json"
    )
    assert response.status_code == 422
    assert "annual_income" in response.json()["error"]["fields"]
    assert not SlidingScaleAssessment.objects.exists()


def test_a_quote_for_the_largest_income_accepted_is_the_full_fee(fee_config, client):
    response = client.get("/api/sliding-scale/quote", {"household_size": 1, "annual_income": "999999999.99"})
    assert response.status_code == 200, response.content
    assert response.json()["class_code"] == "F"
