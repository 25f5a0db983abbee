"""An amount sent to the API or typed into a form is dollars and cents: scientific notation ("1e5" is not
$100,000), "NaN", "Infinity" and a third decimal place are refused on the field, never read as another amount."""

import re
from decimal import Decimal

import pytest

from apps.billing.models import Adjustment, Payment, SlidingScaleAssessment
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.programs.models import LecturePayment

from ..programs.test_public_lectures import lecture, register
from .helpers import past_appointment

pytestmark = pytest.mark.django_db

MISREAD = ["1e5", "1E2", "2e-1", "NaN", "nan", "Infinity", "-Infinity", "inf", "12.345", "0.001", "1_000", "0x10"]
EXAMPLE = "Enter an amount like 120.00."


@pytest.fixture
def owing(personas, fee_config):
    for days_ago in (10, 3):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days_ago),
            actor=None,
        )


def _refused_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"][field] == [EXAMPLE]


@pytest.mark.parametrize("sent", [*MISREAD, 1e16, 0.001, True])
def test_the_payment_api_refuses_an_amount_it_could_misread(sent, owing, personas, login):
    api = login(personas.front_desk, api=True)
    body = {"patient": personas.patient.pk, "method": "cash", "amount": sent}
    _refused_on(api.post("/api/payments/", body, format="json"), "amount")
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("sent", "recorded"), [("120.00", "120.00"), ("75", "75.00"), (12.5, "12.50"), (40, "40.00")])
def test_the_payment_api_takes_dollars_and_cents_as_a_string_or_a_number(sent, recorded, owing, personas, login):
    api = login(personas.front_desk, api=True)
    body = {"patient": personas.patient.pk, "method": "cash", "amount": sent}
    assert api.post("/api/payments/", body, format="json").status_code == 201
    assert Payment.objects.get().amount == Decimal(recorded)


@pytest.mark.parametrize("sent", ["1e5", "NaN", "Infinity", "60000.005"])
def test_every_money_field_of_the_api_refuses_them(sent, personas, login, fee_config):
    api = login(personas.billing, api=True)
    _refused_on(api.get("/api/sliding-scale/quote", {"household_size": 1, "annual_income": sent}), "annual_income")
    assessment = {"patient": personas.patient.pk, "household_size": 1, "annual_income": sent}
    _refused_on(api.post("/api/sliding-scale/assessments/", assessment, format="json"), "annual_income")
    assert not SlidingScaleAssessment.objects.exists()


@pytest.mark.parametrize("typed", MISREAD)
def test_the_account_pages_payment_and_adjustment_forms_refuse_them_naming_the_field(typed, owing, personas, login):
    client = login(personas.billing)
    paid = client.post(f"/billing/patients/{personas.patient.pk}/payments/", {"method": "cash", "amount": typed})
    adjusted = client.post(
        f"/billing/patients/{personas.patient.pk}/adjustments/",
        {"kind": "write_off", "amount": typed, "reason": "Hardship", "confirmed": "yes"},
    )
    for refused, amount_id in ((paid, "id_amount"), (adjusted, "adjustment_amount")):
        assert refused.status_code == 422
        # Said on the amount the form comes back with, as it was typed.
        assert re.search(
            rf'id="{amount_id}"[^>]*>\s*(<span[^>]*>[^<]*</span>\s*)?<div role="alert"><ul class="errorlist"><li>'
            + re.escape(EXAMPLE),
            refused.content.decode(),
        ), typed
    assert not Payment.objects.exists() and not Adjustment.objects.exists()


@pytest.mark.parametrize("typed", ["1e2", "-1e1", "NaN", "Infinity", "20.001"])
def test_the_payment_at_the_doors_form_refuses_them(typed, personas, login):
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    enrollment = register(program, fee_tier="full")
    page = login(personas.billing).post(
        f"/programs/enrollments/{enrollment.pk}/lecture-payment/",
        {"kind": "fee", "amount": typed, "method": "cash", "confirm": "yes"},
    )
    assert EXAMPLE in page.content.decode()
    assert not LecturePayment.objects.exists()


def test_the_sliding_scale_tables_fees_refuse_them_naming_the_fee(personas, login, fee_config):
    page = login(personas.billing).post(
        "/billing/configuration/sliding-scale/",
        {"effective_from": "2030-01-01", "nominal_fee": "2e1", "late_cancel_fee": "50", "rows": "0"},
        follow=True,
    )
    assert re.search(r"Nominal fee: Enter an amount like 120\.00\.", page.content.decode())
