"""A package sale and a portal superbill refused come back in the browser as every refused form does: the page again
with the reason at its top, what was chosen or typed still in its field and the focus on it, and nothing written."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.billing.models import Charge, PackageOffering, PackagePurchase
from apps.billing.services.configuration import fee_schedule_set
from tests.e2e.conftest import assert_accessible, follow, session_start
from tests.e2e.world import portal_world
from tests.factories import ServiceTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sliding_package_for_a_patient_without_a_class_is_refused_on_the_account_page_in_view(page, personas, shots):
    portal_world(personas)  # the patient has no approved assessment
    massage = ServiceTypeFactory(code="97124", name="Relaxation massage, 60 min", duration_minutes=60)
    fee_schedule_set(actor=None, service_type=massage, full_fee=Decimal("110.00"), effective_from=dt.date(2025, 1, 1))
    PackageOffering.objects.create(
        name="10-week relaxation massage", service_type=massage, session_count=10, full_price=Decimal("1000.00")
    )
    charges = Charge.objects.count()
    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/billing/patients/{personas.patient.pk}/")
    packages = page.get_by_role("region", name="Session packages")
    packages.get_by_label("Package").select_option(label="10-week relaxation massage")
    chosen = packages.get_by_label("Package").input_value()
    with page.expect_response(f"**/billing/patients/{personas.patient.pk}/packages/sell/*") as answer:
        follow(page, packages.get_by_role("button", name="Sell a package…"))

    assert answer.value.status == 409
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("No package was sold. “10-week relaxation massage” is priced at the patient's")
    field = page.get_by_role("region", name="Session packages").get_by_label("Package")
    expect(field).to_have_value(chosen)
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    assert_accessible(page)
    page.screenshot(path=shots / "package-sale-refused.png", full_page=False)
    assert not PackagePurchase.objects.exists() and Charge.objects.count() == charges


def test_a_superbill_period_ending_before_it_starts_is_refused_on_the_portal_billing_page_in_view(
    page, personas, shots
):
    portal_world(personas)
    session_start(page, personas.patient_user, open_home=False)
    page.goto("/portal/billing/")
    documents = page.get_by_role("region", name="Statements and superbills")
    documents.locator("#id_start").fill("2026-03-10")
    documents.locator("#id_end").fill("2026-03-01")
    with page.expect_response("**/portal/billing/superbill/*") as answer:
        follow(page, documents.get_by_role("button", name="Download superbill (PDF)"))

    assert answer.value.status == 422
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("No superbill was made: choose a valid period.")
    end = page.locator("#id_end")
    expect(end).to_have_value("2026-03-01")
    expect(page.locator("#id_start")).to_have_value("2026-03-10")
    expect(end).to_be_focused()
    expect(end).to_be_in_viewport()
    expect(page.get_by_text("The end date is before the start date.")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=shots / "superbill-period-refused.png", full_page=False)
