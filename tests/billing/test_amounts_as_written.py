"""A money field of the API reads an amount as the client wrote it. A JSON number such as `1e5` is not $100,000 and
`100.000` has a third decimal place: each is refused on its field (400), as the same spelling sent as a string is,
whichever endpoint takes money."""

import json
from decimal import Decimal

import pytest

from apps.billing.models import Payment, SlidingScaleAssessment
from apps.billing.services.assessments import assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.programs.models import GroupProgram

from .helpers import past_appointment

pytestmark = pytest.mark.django_db

EXAMPLE = "Enter an amount like 120.00."
# JSON numbers, as they stand in the request's body: each reads as a float Python would print otherwise.
WRITTEN = ["1e5", "1E2", "2.5e1", "1.0e2", "1e-2", "100.000", "12.345"]


def _post(api, url: str, body: dict, amount_field: str, written: str):
    """POST `body` with `amount_field` set to the JSON number exactly as `written` (no client re-spells it)."""
    raw = json.dumps({**body, amount_field: "AMOUNT"}).replace('"AMOUNT"', written)
    return api.post(url, raw, content_type="application/json")


def _refused_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"][field] == [EXAMPLE]


@pytest.fixture
def owing(personas, fee_config):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )


@pytest.mark.parametrize("written", WRITTEN)
def test_a_payment_is_refused_a_number_in_exponent_or_with_three_places(written, owing, personas, login):
    api = login(personas.front_desk, api=True)
    body = {"patient": personas.patient.pk, "method": "cash", "credit_on_account": True}
    _refused_on(_post(api, "/api/payments/", body, "amount", written), "amount")
    assert not Payment.objects.exists()


@pytest.mark.parametrize("written", WRITTEN)
def test_an_application_is_refused_such_an_income(written, personas, login, fee_config):
    api = login(personas.billing, api=True)
    body = {"patient": personas.patient.pk, "household_size": 1}
    _refused_on(_post(api, "/api/sliding-scale/assessments/", body, "annual_income", written), "annual_income")
    assert not SlidingScaleAssessment.objects.exists()


@pytest.mark.parametrize("written", WRITTEN)
@pytest.mark.parametrize(("action", "field"), [("approve", "override_fee"), ("override", "fee")])
def test_a_review_is_refused_such_a_fixed_fee(written, action, field, personas, login, fee_config):
    assessment = assessment_submit(
        actor=personas.billing, patient=personas.patient, household_size=1, annual_income=Decimal("20000")
    )
    api = login(personas.billing, api=True)
    url = f"/api/sliding-scale/assessments/{assessment.pk}/{action}/"
    _refused_on(_post(api, url, {"reason": "Hardship", "override_reason": "Hardship"}, field, written), field)
    assessment.refresh_from_db()
    assert assessment.override_fee is None


@pytest.mark.parametrize("written", WRITTEN)
@pytest.mark.parametrize("field", ["full_price", "reduced_price"])
def test_a_lecture_series_is_refused_such_a_price(written, field, personas, login):
    api = login(personas.admin, api=True)
    _refused_on(_post(api, "/api/programs/", {"title": "Pain is a signal", "kind": "lecture"}, field, written), field)
    assert not GroupProgram.objects.exists()


@pytest.mark.parametrize(("written", "recorded"), [("120.50", "120.50"), ("75", "75.00"), ("12.5", "12.50")])
def test_a_plain_number_with_at_most_two_places_is_read_as_written(written, recorded, owing, personas, login):
    api = login(personas.front_desk, api=True)
    body = {"patient": personas.patient.pk, "method": "cash", "credit_on_account": True}
    assert _post(api, "/api/payments/", body, "amount", written).status_code == 201
    assert Payment.objects.get().amount == Decimal(recorded)


def test_numbers_in_other_fields_still_read_as_numbers(personas, login, fee_config):
    api = login(personas.billing, api=True)
    body = {"patient": personas.patient.pk, "annual_income": "20000.00"}
    response = _post(api, "/api/sliding-scale/assessments/", body, "household_size", "2.0")
    assert response.status_code == 201, response.content
    assert SlidingScaleAssessment.objects.get().household_size == 2
