"""After applying for the sliding scale, the portal says what the fee would be once approved, marked as pending."""

from decimal import Decimal

import pytest

from apps.audit.models import AccessLog
from apps.billing import pricing
from apps.billing.models import SlidingScaleAssessment
from apps.billing.services.assessments import assessment_reject

pytestmark = pytest.mark.django_db


def _apply(client, income="18000"):
    return client.post("/portal/billing/apply/", {"household_size": "1", "annual_income": income})


def test_the_billing_page_shows_the_fee_the_application_would_give(fee_config, personas, login):
    client = login(personas.patient_user)
    assert _apply(client).status_code == 302

    body = client.get("/portal/billing/").content.decode()

    expected = pricing.quote(household_size=1, annual_income=Decimal("18000"))
    individual = next(row for row in expected["services"] if row["code"] == "90834")
    assert individual["fee"] < individual["full_fee"]
    assert "Your new fee would be… (pending approval)" in body
    assert expected["class_label"] in body
    assert f"${individual['fee']:,.2f}" in body
    assert "18,000" not in body and "18000" not in body  # the fee, never the income


def test_reading_the_income_to_price_it_is_logged(fee_config, personas, login):
    client = login(personas.patient_user)
    _apply(client)
    client.get("/portal/billing/")

    assessment = SlidingScaleAssessment.objects.get(patient=personas.patient)
    row = AccessLog.objects.get(action="income_view", actor=personas.patient_user)
    assert (row.subject_id, row.patient_id) == (str(assessment.pk), personas.patient.pk)


def test_nothing_pending_means_no_new_fee_box(fee_config, personas, login):
    client = login(personas.patient_user)
    assert "Your new fee would be" not in client.get("/portal/billing/").content.decode()

    _apply(client)
    assessment = SlidingScaleAssessment.objects.get(patient=personas.patient)
    assessment_reject(actor=personas.billing, assessment=assessment, reason="Proof of income missing")
    assert "Your new fee would be" not in client.get("/portal/billing/").content.decode()


def test_the_box_is_not_shown_without_a_fee_configuration(personas, login):
    client = login(personas.patient_user)
    SlidingScaleAssessment.objects.create(
        patient=personas.patient,
        household_size=1,
        annual_income=Decimal("18000"),
        guideline_year=2026,
        percent_of_guideline=Decimal("112.78"),
        class_code="B",
        class_label="101–125%",
    )

    response = client.get("/portal/billing/")
    assert response.status_code == 200
    assert "Your new fee would be" not in response.content.decode()


def test_while_an_application_waits_the_apply_page_offers_no_second_one(fee_config, personas, login):
    client = login(personas.patient_user)
    assert "Submit application</button>" in client.get("/portal/billing/apply/").content.decode()
    _apply(client)
    page = client.get("/portal/billing/apply/").content.decode()
    assert "is waiting for review. You can apply again once it has been reviewed" in page
    assert "Submit application</button>" not in page
    assert _apply(client, income="9000").status_code == 409  # a post anyway is refused by the service, in words
    assert SlidingScaleAssessment.objects.filter(patient=personas.patient).count() == 1
    assessment_reject(
        actor=personas.billing,
        assessment=SlidingScaleAssessment.objects.get(patient=personas.patient),
        reason="Proof of income missing",
    )
    assert "Submit application</button>" in client.get("/portal/billing/apply/").content.decode()
