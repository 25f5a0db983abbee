"""Approving a sliding-scale application from its review page: the page says the fee per session it would give
(priced as every charge is), and approving asks for confirmation first, saying what follows for the next twelve
months; only the confirmation approves."""

from decimal import Decimal

import pytest

from apps.billing import pricing
from apps.billing.services.assessments import assessment_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(personas, fee_config):
    """$27,000 for a household of three: 102% of the 2026 guideline, the first reduced class."""
    return assessment_submit(actor=None, patient=personas.patient, household_size=3, annual_income=Decimal("27000"))


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_review_page_shows_the_fee_per_session_approval_would_give(personas, login, pending):
    quote = pricing.quote(household_size=3, annual_income=Decimal("27000"))
    individual = next(row for row in quote["services"] if row["code"] == "90834")
    assert individual["fee"] < individual["full_fee"]
    page = _text(login(personas.billing).get(f"/billing/assessments/{pending.pk}/"))
    assert "Fee per session if approved" in page
    assert f"Individual psychotherapy, 45 min: ${individual['fee']:,.2f}" in page


def test_approving_asks_first_with_the_resulting_fee_and_only_the_confirmation_approves(personas, login, pending):
    client = login(personas.billing)
    url = f"/billing/assessments/{pending.pk}/"
    asked = client.post(url, {"decision": "approve"})
    assert asked.status_code == 200
    page = _text(asked)
    assert "Approve Pat Ient's application?" in page and "12 months" in page
    quote = pricing.quote(household_size=3, annual_income=Decimal("27000"))
    individual = next(row for row in quote["services"] if row["code"] == "90834")
    assert f"Individual psychotherapy, 45 min: ${individual['fee']:,.2f}" in page
    assert 'name="confirmed" value="yes"' in page
    pending.refresh_from_db()
    assert pending.status == "pending"

    done = client.post(url, {"decision": "approve", "confirmed": "yes"}, follow=True)
    assert "Approved." in done.content.decode()
    pending.refresh_from_db()
    assert pending.status == "approved"


def test_a_fixed_fee_is_the_fee_the_confirmation_states(personas, login, pending):
    client = login(personas.billing)
    data = {"decision": "approve", "override_fee": "35", "override_reason": "Recent job loss"}
    page = _text(client.post(f"/billing/assessments/{pending.pk}/", data))
    assert "Individual psychotherapy, 45 min: $35.00" in page
    assert 'name="override_reason" value="Recent job loss"' in page
    pending.refresh_from_db()
    assert pending.status == "pending"
    client.post(f"/billing/assessments/{pending.pk}/", {**data, "confirmed": "yes"})
    pending.refresh_from_db()
    assert (pending.status, pending.override_fee) == ("approved", Decimal("35.00"))


def test_an_approval_refused_is_refused_before_asking(personas, login, pending):
    """A fixed fee without its reason says so on the form, not on a confirmation that would fail."""
    response = login(personas.billing).post(
        f"/billing/assessments/{pending.pk}/", {"decision": "approve", "override_fee": "35"}
    )
    assert response.status_code == 200
    assert response.context["approve_form"].errors["override_reason"] == ["Required."]
    assert "confirmed" not in response.content.decode()
