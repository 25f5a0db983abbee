"""The desk's payment form in the browser: sent twice (a double click, then Back and "Record payment" again) it
records one payment; opened again it is a new one, and refused then corrected it is still one."""

import pytest
from playwright.sync_api import expect

from apps.billing.models import Payment
from tests.e2e.conftest import assert_accessible, double_click_to, follow, session_start
from tests.e2e.world import portal_world

pytestmark = pytest.mark.django_db(transaction=True)

RECEIPT = r"/receipts/\d+/$"


def test_a_payment_sent_twice_from_the_desk_is_recorded_once(page, personas, shots):
    world = portal_world(personas)  # $200 charged, $50 paid: $150 owed
    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/billing/patients/{personas.patient.pk}/")
    form = page.get_by_role("region", name="Record a payment")
    form.get_by_role("textbox", name="Amount").fill("20")
    double_click_to(page, form.get_by_role("button", name="Record payment"), RECEIPT)
    receipt = page.url
    new = Payment.objects.exclude(pk=world.payment.pk)
    assert new.count() == 1

    # Back loads the page anew (staff pages are not kept) and the browser puts the amount back, the form's key with it.
    page.go_back()
    expect(form.get_by_role("textbox", name="Amount")).to_have_value("20")
    follow(page, form.get_by_role("button", name="Record payment"))
    assert page.url == receipt
    expect(page.get_by_role("main")).to_contain_text(f"already recorded, receipt {new.get().receipt_number}")
    page.screenshot(path=shots / "payment-sent-again.png", full_page=True)
    assert new.count() == 1

    # The page opened again is a new form; refused, it comes back as sent, and corrected it records one payment.
    page.goto(f"/billing/patients/{personas.patient.pk}/")
    form.get_by_role("textbox", name="Amount").fill("5000")
    follow(page, form.get_by_role("button", name="Record payment"))
    expect(page.get_by_role("main")).to_contain_text("$5,000.00 is more than the balance")
    expect(form.get_by_role("textbox", name="Amount")).to_have_value("5000")
    assert_accessible(page)
    page.screenshot(path=shots / "payment-refused.png", full_page=True)
    form.get_by_role("textbox", name="Amount").fill("30")
    double_click_to(page, form.get_by_role("button", name="Record payment"), RECEIPT)
    assert page.url != receipt
    assert sorted(new.values_list("amount", flat=True)) == [20, 30]
