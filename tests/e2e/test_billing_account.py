"""The billing office at a patient's account in the browser: balances worded the same on every page, a reversal
and a plan's cancellation asked first, and a refund's receipt stating what went back."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.billing.models import Adjustment
from apps.billing.services.payments import adjustment_post, payment_record
from apps.core import clock
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start
from tests.e2e.world import portal_world

pytestmark = pytest.mark.django_db(transaction=True)


def on_one_line(cell) -> bool:
    """Whether a cell's text is laid out on one line: "−$50.00" must not break after its minus sign."""
    return cell.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size === 1; }"
    )


def test_billing_reverses_refunds_and_ends_a_plan_each_asked_first_and_the_patient_sees_the_refund(
    page, new_page, personas, shots
):
    world = portal_world(personas)  # $200 charged, $50 paid: $150 owed
    payment_record(
        actor=personas.front_desk, patient=personas.other_patient, method="cash", amount="75", credit_on_account=True
    )
    write_off = adjustment_post(
        actor=personas.billing, patient=personas.patient, kind="write_off", amount="30", reason="Hardship"
    )
    session_start(page, personas.billing, open_home=False)
    page.goto("/billing/")
    balances = page.get_by_role("region", name="Patient balances")
    expect(balances.get_by_role("row", name=personas.patient.display_name)).to_contain_text("$120.00 owed")
    expect(balances.get_by_role("row", name=personas.other_patient.display_name)).to_contain_text(
        "$75.00 credit on account"
    )
    page.screenshot(path=shots / "billing-home.png", full_page=True)

    follow(page, balances.get_by_role("link", name=personas.patient.display_name))
    expect(page.get_by_role("main")).to_contain_text("Balance $120.00 owed")
    ledger = page.get_by_role("region", name="Ledger")
    ledger.get_by_label("Reason", exact=True).fill("Posted to the wrong account")
    follow(page, ledger.get_by_role("button", name="Reverse…"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Reverse the write-off of $30.00 on {personas.patient.display_name}'s account?"
    )
    assert_accessible(page)
    page.screenshot(path=shots / "reverse-confirm.png", full_page=True)
    follow(page, page.get_by_role("button", name="Reverse the write-off of $30.00"))
    expect(page.get_by_role("main")).to_contain_text("Balance $150.00 owed")
    expect(ledger.get_by_role("button", name="Reverse…")).to_have_count(0)
    assert Adjustment.objects.get(reverses=write_off).reason == "Posted to the wrong account"
    paid = ledger.get_by_role("row").filter(has_text="Payment by cash").get_by_role("cell").nth(3)
    expect(paid).to_have_text("−$50.00")
    assert on_one_line(paid)

    receipt = world.payment.receipt_number
    ledger.get_by_label("Refund amount").fill("20")
    ledger.get_by_label("Refund reason").fill("Paid twice")
    follow(page, ledger.get_by_role("button", name="Refund…"))
    follow(page, page.get_by_role("button", name="Refund $20.00"))
    follow(page, ledger.get_by_role("row").filter(has_text="Refund by cash").get_by_role("link", name="Receipt"))
    expect(page.get_by_role("main")).to_contain_text("$20.00")
    expect(page.get_by_role("main")).not_to_contain_text("−$20.00")
    expect(page.get_by_role("main")).to_contain_text(f"Receipt {receipt}")
    follow(page, page.get_by_role("link", name="Back to the ledger"))

    plan = page.get_by_role("region", name="Payment plan")
    plan.get_by_label("First due").fill((clock.local_now().date() + dt.timedelta(days=10)).isoformat())
    follow(page, plan.get_by_role("button", name="Split the balance"))
    expect(plan).to_contain_text("$56.66 — Due")
    follow(page, plan.get_by_role("button", name="Cancel the plan…"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel {personas.patient.display_name}'s payment plan?")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Cancel the plan"))
    expect(page.get_by_role("main")).to_contain_text("Payment plan cancelled.")
    expect(plan.get_by_role("button", name="Split the balance")).to_be_visible()
    page.screenshot(path=shots / "account-after.png", full_page=True)

    phone = new_page(PHONE)
    session_start(phone, personas.patient_user, open_home=False)
    phone.goto("/portal/billing/")
    receipts = phone.get_by_role("region", name="Receipts")
    expect(receipts).to_contain_text("refund of $20.00")
    expect(receipts).not_to_contain_text("−")
    activity = phone.get_by_role("region", name="Charges and payments")
    # On a phone the date is shown above the description, not in a cell of its own: the amount is the cell before
    # the balance after the line.
    paid_row = activity.get_by_role("row").filter(has_text="Payment by cash")
    paid = paid_row.get_by_role("cell").nth(-2)
    expect(paid).to_have_text("−$50.00")
    expect(paid_row.get_by_role("cell").nth(-1)).to_have_text("$150.00")  # the $200 session less the $50 paid
    assert on_one_line(paid)
    expect(phone.get_by_role("region", name="Your balance")).to_contain_text("$170.00 owed")
    phone.screenshot(path=shots / "portal-billing.png", full_page=True)
