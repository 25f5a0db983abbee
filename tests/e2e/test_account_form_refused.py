"""A form far down the account page, refused, comes back in view: the estimate asked for with its dates the wrong
way round keeps what was typed, and the page opens on the date it is about, the reason beside it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.billing.models import GoodFaithEstimate
from apps.core import clock
from tests.e2e.conftest import assert_accessible, follow, session_start
from tests.e2e.world import portal_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refused_estimate_comes_back_in_view_as_typed(page, personas, shots):
    portal_world(personas)
    session_start(page, personas.billing, open_home=False)
    page.goto(f"/billing/patients/{personas.patient.pk}/")
    form = page.get_by_role("region", name="Good Faith Estimates")
    start = clock.local_now().date() + dt.timedelta(days=14)
    form.locator("#estimate_service_type").select_option(index=1)
    service = form.locator("#estimate_service_type").input_value()
    form.locator("#estimate_expected_count").fill("8")
    form.locator("#estimate_period_start").fill(start.isoformat())
    form.locator("#estimate_period_end").fill((start - dt.timedelta(days=3)).isoformat())
    follow(page, form.get_by_role("button", name="Issue the estimate"))

    to = form.locator("#estimate_period_end")
    expect(to).to_be_focused()
    expect(to).to_be_in_viewport()
    expect(form.get_by_role("alert")).to_have_text("The period ends before it starts.")
    expect(to).to_have_value((start - dt.timedelta(days=3)).isoformat())
    expect(form.locator("#estimate_period_start")).to_have_value(start.isoformat())
    expect(form.locator("#estimate_expected_count")).to_have_value("8")
    expect(form.locator("#estimate_service_type")).to_have_value(service)
    assert_accessible(page)
    page.screenshot(path=shots / "estimate-refused.png", full_page=False)
    assert not GoodFaithEstimate.objects.filter(reason="patient_requested").exists()
