"""Everything the portal's billing page shows the patient about their money is in their record download, in the
page's own figures: payments and refunds with their words, write-offs, payment plans with each instalment's
progress and the next one due, session packages, Good Faith Estimates and the fee they pay now."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings

from apps.billing.models import PackageOffering
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.configuration import fee_schedule_set
from apps.billing.services.estimates import gfe_issue_on_request
from apps.billing.services.packages import package_purchase
from apps.billing.services.payments import adjustment_post, payment_record, payment_refund
from apps.billing.services.plans import payment_plan_create
from apps.core import clock
from apps.core.money import money_text
from apps.records.documents import record_html, record_json
from apps.records.selectors import patient_record
from tests.billing.helpers import past_appointment
from tests.factories import ServiceTypeFactory

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs" / "records.schema.json").read_text())


@pytest.fixture
def money_history(personas, individual_service):
    """A $200 session; $50 paid, $10 of it refunded, $20 written off; the $140 left on a two-part plan; a package of
    ten massages bought; a Good Faith Estimate for four sessions."""
    patient = personas.patient
    today = clock.local_now().date()
    charge_for_appointment_outcome(
        appointment=past_appointment(patient, service_type=individual_service, days_ago=3), actor=None
    )
    paid = payment_record(actor=personas.billing, patient=patient, method="cash", amount="50")
    payment_refund(actor=personas.billing, payment=paid, amount="10", reason="Parking paid twice")
    adjustment_post(actor=personas.billing, patient=patient, kind="write_off", amount="20", reason="Hardship")
    payment_plan_create(actor=personas.billing, patient=patient, instalments=2, first_due=today + dt.timedelta(days=7))
    massage = ServiceTypeFactory(code="97124", name="Relaxation massage, 60 min", duration_minutes=60)
    fee_schedule_set(actor=None, service_type=massage, full_fee=Decimal("110.00"), effective_from=dt.date(2025, 1, 1))
    offering = PackageOffering.objects.create(
        name="10-week relaxation massage",
        service_type=massage,
        session_count=10,
        full_price=Decimal("1000.00"),
        slides_with_class=False,
    )
    package_purchase(actor=personas.billing, patient=patient, offering=offering)
    gfe_issue_on_request(
        actor=personas.front_desk,
        patient=patient,
        service_type=individual_service,
        therapist=personas.therapist,
        expected_count=4,
        period_start=today + dt.timedelta(days=7),
        period_end=today + dt.timedelta(days=60),
    )


def test_the_record_holds_what_the_portals_billing_page_shows(personas, login, money_history):
    page = login(personas.patient_user).get("/portal/billing/")
    assert page.status_code == 200
    shown = page.context

    record = patient_record(user=personas.patient_user, patient=personas.patient)

    portal_lines = {line.description for line in shown["lines"] if line.kind != "charge"}
    record_lines = {row["description"] for row in record["payments"] + record["adjustments"]}
    assert portal_lines == record_lines and len(record_lines) == 3  # the payment, its refund and the write-off
    (refund,) = [row for row in record["payments"] if row["is_refund"]]
    assert (refund["receipt_amount"], refund["refund_of"]) == (
        Decimal("10.00"),
        record["payments"][0]["receipt_number"],
    )

    (plan,) = record["payment_plans"]
    assert [(row["due_on"], row["amount"], row["status_label"]) for row in plan["instalments"]] == [
        (row["instalment"].due_on, row["instalment"].amount, row["state"]) for row in shown["plan_progress"]
    ]
    assert plan["next_instalment"] == {
        "due_on": shown["next_instalment"]["instalment"].due_on,
        "amount": shown["next_instalment"]["due"],
    }

    assert [(p["name"], p["price"], p["sessions_remaining"], p["status_label"]) for p in record["packages"]] == [
        (p.offering.name, p.price, p.sessions_remaining, p.status_shown) for p in reversed(shown["packages"])
    ]
    assert [(e["total"], e["period_start"], e["period_end"]) for e in record["good_faith_estimates"]] == [
        (e.total, e.period_start, e.period_end) for e in reversed(shown["estimates"])
    ]
    assert record["good_faith_estimates"][0]["lines"][0]["expected_sessions"] == 4

    assert record["fee"]["fee_class"] == shown["current_class"]
    assert [(row["service"], row["fee"]) for row in record["fee"]["services"]] == [
        (row["service"].name, row["fee"]) for row in shown["fees"]
    ]
    assert record["balance"] == shown["balance"]


def test_the_pdf_and_the_json_carry_the_money_sections(personas, money_history):
    record = patient_record(user=personas.patient_user, patient=personas.patient)
    data = json.loads(record_json(record))
    html = " ".join(record_html(record).split())

    jsonschema.validate(data, SCHEMA)
    for section, row in [
        ("payment_plans", "payment-plan"),
        ("packages", "package"),
        ("good_faith_estimates", "estimate"),
    ]:
        assert html.count(f'data-row="{row}"') == len(data[section]) == 1, section
    assert html.count('data-row="plan-instalment"') == 2
    for row in data["payments"] + data["adjustments"]:
        assert row["description"] in html
    assert money_text(record["good_faith_estimates"][0]["total"]) in html
    assert "10-week relaxation massage" in html and record["fee"]["fee_class"] in html
