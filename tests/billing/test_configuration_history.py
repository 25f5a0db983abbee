"""The fee configuration's history page: who changed which fee, guideline or class, from what to what."""

from decimal import Decimal

import pytest

from apps.billing.models import FeeSchedule
from apps.core import clock

pytestmark = pytest.mark.django_db

URL = "/billing/configuration/history/"


def _set_fee(client, service, amount, effective_from="2027-01-01"):
    response = client.post(
        f"/billing/configuration/fees/{service.pk}/", {"full_fee": amount, "effective_from": effective_from}
    )
    assert response.status_code == 302


def test_a_fee_change_shows_who_made_it_and_the_old_and_new_amounts(personas, login, fee_config):
    client = login(personas.billing)
    _set_fee(client, fee_config["90834"], "210.00")
    _set_fee(client, fee_config["90834"], "215.00")
    html = client.get(URL).content.decode()
    assert html.count(personas.billing.full_name) == 2
    assert "Fee changed" in html and "full fee: $210.00 → $215.00" in html
    service = fee_config["90834"]
    assert "Fee added" in html and f"{service.name} (90834): $210.00 from January 1, 2027" in html
    # Rows written without a signed-in user (the seeded configuration) are the system's.
    assert "System" in html


def test_guideline_and_class_table_changes_are_listed_too(personas, login, fee_config):
    client = login(personas.billing)
    response = client.post(
        "/billing/configuration/guidelines/", {"year": 2027, "first_person": "16000", "each_additional_person": "5600"}
    )
    assert response.status_code == 302
    html = client.get(URL).content.decode()
    assert "Poverty guideline added" in html
    assert "2027 48 contiguous states and DC: $16,000.00 + $5,600.00" in html
    assert "Sliding-scale class added" in html
    assert "(table from January 1, 2025): no upper bound, 100% of full fee" in html
    assert "(table from January 1, 2025): up to 125%, 20% of full fee" in html


def test_each_change_says_when_as_the_other_staff_lists_do(personas, login, fee_config):
    """Dec 5, 2026 6:00 PM, on the clinic's clock, not a database timestamp."""
    client = login(personas.billing)
    _set_fee(client, fee_config["90834"], "210.00")
    event = FeeSchedule.pgh_event_model.objects.get(full_fee=Decimal("210.00"))
    added = event.pgh_created_at.astimezone(clock.clinic_tz())
    html = client.get(URL).content.decode()
    assert f"<td>{added:%b} {added.day}, {added.year} {added:%-I:%M %p}</td>" in html
    assert f"{added:%Y-%m-%d}" not in html


def test_the_page_runs_a_constant_number_of_queries(personas, login, fee_config, django_assert_max_num_queries):
    client = login(personas.billing)
    for amount in range(200, 230):
        _set_fee(client, fee_config["90834"], f"{amount}.00")
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "patient_user"])
def test_only_the_billing_office_sees_the_history(personas, login, fee_config, persona):
    assert login(getattr(personas, persona)).get(URL).status_code == 403
    assert login(personas.admin).get(URL).status_code == 200
