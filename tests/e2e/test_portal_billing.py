"""Money in the portal: a sliding-scale application approved by billing, and how a patient pays the balance."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.billing.demo import config_seed
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.billing.services.plans import payment_plan_create
from apps.core import clock
from tests.e2e.conftest import PHONE, assert_accessible, follow, press, session_start, sign_in_by_keyboard
from tests.factories import AppointmentFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fees(db):
    """The demo fee schedule: individual session $200 full fee; HRSA classes; 2025 and 2026 guidelines."""
    service = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()
    return service


def test_patient_applies_for_a_sliding_fee_billing_approves_and_the_portal_shows_the_new_fee(
    page, new_page, personas, fees
):
    phone = new_page(PHONE)
    session_start(phone, personas.patient_user)
    billing_card = phone.get_by_role("region", name="Billing")
    billing_card.get_by_text("$200.00").wait_for()

    follow(phone, billing_card.get_by_role("link", name="Charges, receipts and statements"))
    assert_accessible(phone)
    follow(phone, phone.get_by_role("link", name="Apply for a sliding-scale fee"))
    assert_accessible(phone)
    phone.get_by_label("People in your household").fill("1")
    phone.get_by_label("Household income per year (USD)").fill("18000")
    phone.get_by_role("button", name="Submit application").click()
    phone.get_by_text("The billing office will review your application").wait_for()

    session_start(page, personas.billing)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    follow(page, page.get_by_role("link", name="Applications to review (1)"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name=personas.patient.display_name))
    assert_accessible(page)
    page.get_by_role("button", name="Approve…", exact=True).click()
    page.get_by_role("heading", name=f"Approve {personas.patient.display_name}'s application?").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Approve at this fee").click()
    page.get_by_text("Approved.").wait_for()

    phone.goto("/portal/")
    fee_line = phone.get_by_role("region", name="Billing")
    fee_line.get_by_text("$40.00").wait_for()
    # The full fee is named only as what the patient no longer pays.
    card = fee_line.inner_text()
    assert card.count("$200.00") == card.count("(full fee $200.00)") > 0


def test_a_clinic_without_online_card_payments_tells_the_patient_how_to_pay_and_the_receipt_follows_by_keyboard(
    page, personas, fees, settings
):
    settings.CLINIC_PAYMENT_BACKEND = "offline"
    settings.CLINIC_PAYMENT_INSTRUCTIONS = "Pay at the front desk by cash, check or card at your next visit."
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=3), dt.time(10))
    appointment = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, service_type=fees, start=start, status="completed"
    )
    charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)

    # Keyboard alone: the balance, and how to pay it (a patient never records a payment themselves).
    sign_in_by_keyboard(page, personas.patient_user)
    billing_card = page.get_by_role("region", name="Billing")
    expect(billing_card).to_contain_text("Balance: $200.00")
    expect(page.get_by_role("link", name="Pay now")).to_have_count(0)
    press(page, billing_card.get_by_role("link", name="How to pay"))
    page.wait_for_url("**/portal/billing/#how-to-pay-h")
    expect(page.get_by_role("main")).to_contain_text("Pay at the front desk by cash, check or card")
    expect(page.get_by_role("button", name="Pay by card")).to_have_count(0)
    assert_accessible(page)

    # The front desk takes the card at the desk; the receipt is in the portal.
    payment = payment_record(
        actor=personas.front_desk, patient=personas.patient, method="card_present", amount="200.00"
    )
    page.goto("/portal/billing/")
    press(page, page.get_by_role("link", name=payment.receipt_number))
    page.wait_for_url("**/portal/billing/receipts/*/")
    expect(page.get_by_role("main")).to_contain_text("$200.00")
    assert_accessible(page)

    press(page, page.get_by_role("link", name="My care"))
    expect(page.get_by_role("region", name="Billing")).to_contain_text("Balance: $0.00")
    expect(page.get_by_role("link", name="How to pay")).to_have_count(0)


def test_a_patient_pays_through_the_card_sandbox_that_make_run_uses(page, personas, fees, settings):
    """Development's stand-in for the provider's checkout: the same path as a real card payment, end to end."""
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=3), dt.time(10))
    appointment = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, service_type=fees, start=start, status="completed"
    )
    charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)

    session_start(page, personas.patient_user, open_home=False)
    page.goto("/portal/billing/")
    page.get_by_label("Amount").fill("200.00")
    follow(page, page.get_by_role("button", name="Pay by card"))
    expect(page.get_by_role("heading", name="Card checkout (sandbox)")).to_be_visible()
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Pay $200.00"))
    page.goto("/portal/billing/")
    expect(page.get_by_role("main")).to_contain_text("$0.00")


def test_a_patient_pays_the_next_plan_instalment_by_card_and_the_plan_shows_it_paid(page, personas, fees, settings):
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"
    for days in (3, 10):
        start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days), dt.time(10))
        appointment = AppointmentFactory(
            therapist=personas.therapist, patient=personas.patient, service_type=fees, start=start, status="completed"
        )
        charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)
    payment_plan_create(
        actor=personas.front_desk,
        patient=personas.patient,
        instalments=2,
        first_due=clock.local_now().date() + dt.timedelta(days=14),
    )

    session_start(page, personas.patient_user, open_home=False)
    page.goto("/portal/billing/")
    expect(page.get_by_label("Amount toward your plan")).to_have_value("200.00")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Pay the next installment"))
    follow(page, page.get_by_role("button", name="Pay $200.00"))
    page.goto("/portal/billing/")
    plan = page.get_by_role("table").first
    expect(plan.get_by_role("row").nth(1)).to_contain_text("Paid")
    expect(plan.get_by_role("row").nth(2)).to_contain_text("Due")
    expect(page.get_by_role("main")).to_contain_text("$200.00 owed")
