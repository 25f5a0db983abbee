"""A fixed per-session fee is charged as it is, capped at each service's full fee (pricing.py). One above every
active service's full fee would never be charged anywhere while the pages named it: it is refused, on the page and
the API alike, naming the highest full fee. A fixed fee already recorded above it says the full fee is charged."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing import pricing
from apps.billing.models import SlidingScaleAssessment
from apps.billing.services.assessments import assessment_approve, assessment_override_set, assessment_submit
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.core import clock
from apps.core.errors import Unprocessable

from .helpers import approved_assessment, past_appointment

pytestmark = pytest.mark.django_db

# fee_config: intake $250 (the highest), individual sessions $200, group $60, late-cancel / no-show $100.
REFUSAL = "Cannot be above $250.00, the highest full fee of any service (Intake assessment)."


@pytest.fixture
def pending(personas, fee_config):
    return assessment_submit(actor=None, patient=personas.patient, household_size=3, annual_income=Decimal("27000"))


def test_approving_a_fixed_fee_above_every_full_fee_is_refused_naming_the_highest(personas, pending):
    with pytest.raises(Unprocessable, match=r"cannot be above \$250\.00") as refused:
        assessment_approve(
            actor=personas.billing, assessment=pending, override_fee=Decimal("500"), override_reason="Hardship"
        )
    assert "Intake assessment" in refused.value.message
    assert list(refused.value.fields) == ["override_fee"]
    pending.refresh_from_db()
    assert (pending.status, pending.override_fee) == ("pending", None)


def test_a_fixed_fee_up_to_the_highest_full_fee_is_approved_and_charged_as_capped(personas, pending, fee_config):
    assessment = assessment_approve(
        actor=personas.billing,
        assessment=pending,
        effective_from=clock.local_now().date() - dt.timedelta(days=30),
        override_fee=Decimal("250.00"),
        override_reason="Agreed with the patient",
    )
    assert assessment.override_fee == Decimal("250.00")
    individual = past_appointment(personas.patient, service_type=fee_config["90834"])
    charge = charge_for_appointment_outcome(appointment=individual, actor=None)
    assert (charge.amount, charge.class_label) == (Decimal("200.00"), "Approved fixed fee ($250.00)")


def test_setting_a_fixed_fee_above_every_full_fee_on_an_approved_assessment_is_refused(personas, fee_config):
    assessment = approved_assessment(personas.patient, household_size=3, income="27000")
    with pytest.raises(Unprocessable, match=r"cannot be above \$250\.00") as refused:
        assessment_override_set(actor=personas.billing, assessment=assessment, fee=Decimal("250.01"), reason="x")
    assert list(refused.value.fields) == ["fee"]
    assessment.refresh_from_db()
    assert assessment.override_fee is None


def test_the_api_refuses_it_with_422_naming_the_field(personas, login, pending, fee_config):
    api = login(personas.billing, api=True)
    response = api.post(
        f"/api/sliding-scale/assessments/{pending.pk}/approve/",
        {"override_fee": "500.00", "override_reason": "Hardship"},
        format="json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"]["override_fee"] == [REFUSAL]
    approved = approved_assessment(personas.other_patient, household_size=3, income="27000")
    response = api.post(
        f"/api/sliding-scale/assessments/{approved.pk}/override/", {"fee": "500.00", "reason": "x"}, format="json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"]["fee"] == [REFUSAL]


def test_the_review_page_refuses_it_on_the_field_and_keeps_the_input(personas, login, pending):
    response = login(personas.billing).post(
        f"/billing/assessments/{pending.pk}/",
        {"decision": "approve", "override_fee": "500", "override_reason": "Recent job loss"},
    )
    assert response.status_code == 200
    form = response.context["approve_form"]
    assert form.errors["override_fee"] == [REFUSAL]
    assert 'value="500"' in response.content.decode() and "Recent job loss" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_fixed_fee_recorded_above_every_full_fee_says_the_full_fee_is_charged(personas, login, fee_config):
    """Rows approved before the bound: what the pages name is what is charged."""
    assessment = approved_assessment(
        personas.patient, household_size=3, income="27000", override_fee=Decimal("35"), override_reason="Hardship"
    )
    SlidingScaleAssessment.objects.filter(pk=assessment.pk).update(override_fee=Decimal("500.00"))
    label = "Approved fixed fee ($500.00), charged at the full fee"
    assert pricing.patient_class_label(patient=personas.patient) == label
    individual = past_appointment(personas.patient, service_type=fee_config["90834"])
    charge = charge_for_appointment_outcome(appointment=individual, actor=None)
    assert (charge.amount, charge.class_label) == (Decimal("200.00"), label)
    page = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    assert f"Fee: {label}" in page  # the account header
    assert "fixed $500.00, charged at the full fee" in page  # the assessments table
