"""Bad input to the sliding-scale assessments API gets a clear 4xx in the API's error body, never a server error."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.services.assessments import assessment_submit
from apps.billing.services.common import add_months
from apps.core import clock
from apps.core.errors import Unprocessable

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
def test_a_ledger_patient_filter_that_is_not_an_id_is_refused_not_a_server_error(personas, login, path):
    response = login(personas.billing, api=True).get(path, {"patient": "²"})
    assert response.status_code == 400  # refused, never read as every patient's rows (test_ledger_list_filters)
    assert "patient" in response.json()["error"]["fields"]


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


@pytest.fixture
def pending(personas, fee_config):
    return assessment_submit(actor=None, patient=personas.patient, household_size=1, annual_income=Decimal("12000"))


@pytest.mark.parametrize("effective_from", ["9999-12-01", "0001-01-01"])
def test_an_approval_from_a_mistyped_year_is_refused_on_the_api_and_the_page(personas, login, pending, effective_from):
    api = login(personas.billing, api=True).post(
        f"/api/sliding-scale/assessments/{pending.pk}/approve/", {"effective_from": effective_from}, format="json"
    )
    assert api.status_code == 400, api.content
    assert "Choose a date from" in api.json()["error"]["fields"]["effective_from"][0]
    page = login(personas.billing).post(
        f"/billing/assessments/{pending.pk}/", {"decision": "approve", "effective_from": effective_from}
    )
    assert page.status_code == 200 and "Choose a date from" in page.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_an_approval_within_a_year_either_way_goes_through(personas, login, pending):
    a_year_ago = clock.local_now().date() - dt.timedelta(days=360)
    response = login(personas.billing, api=True).post(
        f"/api/sliding-scale/assessments/{pending.pk}/approve/", {"effective_from": a_year_ago.isoformat()}
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_from"] == a_year_ago.isoformat()


def test_an_override_reason_longer_than_is_kept_is_a_field_error(personas, login, pending):
    response = login(personas.billing, api=True).post(
        f"/api/sliding-scale/assessments/{pending.pk}/approve/",
        {"override_fee": "35.00", "override_reason": "x" * 301},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "override_reason" in response.json()["error"]["fields"]
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_counting_months_past_the_end_of_the_calendar_is_refused_not_a_server_error():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 12, 15), 12) == dt.date(2028, 12, 15)
    with pytest.raises(Unprocessable, match="too far away"):
        add_months(dt.date(9999, 12, 1), 12)
