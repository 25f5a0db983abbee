"""Money in the portal: a sliding-scale application approved by billing, and paying the balance by card."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.billing import services as billing
from apps.billing.demo import config_seed
from apps.core import clock
from tests.e2e.conftest import PHONE, assert_accessible, follow, press, sign_in, sign_in_by_keyboard
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
    sign_in(phone, personas.patient_user)
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

    sign_in(page, personas.billing)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    follow(page, page.get_by_role("link", name="Applications to review (1)"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name=personas.patient.display_name))
    assert_accessible(page)
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved.").wait_for()

    phone.goto("/portal/")
    fee_line = phone.get_by_role("region", name="Billing")
    fee_line.get_by_text("$40.00").wait_for()
    assert "$200.00" not in fee_line.inner_text()


def test_patient_pays_the_balance_by_card_and_gets_a_receipt_by_keyboard_alone(page, personas, fees):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=3), dt.time(10))
    appointment = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, service_type=fees, start=start, status="completed"
    )
    billing.charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)

    # The whole payment by keyboard alone.
    sign_in_by_keyboard(page, personas.patient_user)
    billing_card = page.get_by_role("region", name="Billing")
    expect(billing_card).to_contain_text("Balance: $200.00")
    press(page, billing_card.get_by_role("link", name="Pay now"))
    page.wait_for_url("**/portal/billing/#balance-h")
    assert_accessible(page)
    press(page, page.get_by_role("button", name="Pay by card"))
    page.wait_for_url("**/offline/")
    assert_accessible(page)
    press(page, page.get_by_role("button", name="Pay $200.00"))
    page.get_by_text("Thank you. We received your payment of $200.00.").wait_for()
    assert_accessible(page)
    press(page, page.get_by_role("link", name="View your receipt"))
    page.wait_for_url("**/portal/billing/receipts/*/")
    expect(page.get_by_role("main")).to_contain_text("$200.00")
    assert_accessible(page)

    press(page, page.get_by_role("link", name="My care"))
    expect(page.get_by_role("region", name="Billing")).to_contain_text("Balance: $0.00")
    expect(page.get_by_role("link", name="Pay now")).to_have_count(0)
