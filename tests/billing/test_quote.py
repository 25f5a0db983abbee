"""The public fee quote against hand-worked figures at the class bounds.

2026 guideline, 48 states + DC: $15,960 for one person + $5,680 each additional person.
  size 1: 100% = 15,960.00   125% = 19,950.00   150% = 23,940.00   175% = 27,930.00   200% = 31,920.00
  size 3: 100% = 27,320.00   150% = 40,980.00
  size 4: 100% = 33,000.00   125% = 41,250.00   200% = 66,000.00
2025 guideline: $15,650 + $5,500.  size 2: 100% = 21,150.00   175% = 37,012.50
Fees: individual $200, intake $250, group $60; classes A nominal $20, B/C/D/E 20/40/60/80% of full, F full.
"""

import pytest
import time_machine

from apps.billing.models import SlidingScaleAssessment

pytestmark = pytest.mark.django_db

IN_2026 = "2026-03-02 12:00:00-05:00"
IN_2025 = "2025-06-02 12:00:00-04:00"

#   household, income,      class, individual, intake, group
CASES_2026 = [
    (1, "0", "A", "20.00", "20.00", "20.00"),
    (1, "15960.00", "A", "20.00", "20.00", "20.00"),
    (1, "15960.01", "B", "40.00", "50.00", "20.00"),
    (1, "19950.00", "B", "40.00", "50.00", "20.00"),
    (1, "19950.01", "C", "80.00", "100.00", "24.00"),
    (1, "23940.00", "C", "80.00", "100.00", "24.00"),
    (1, "23940.01", "D", "120.00", "150.00", "36.00"),
    (1, "27930.00", "D", "120.00", "150.00", "36.00"),
    (1, "27930.01", "E", "160.00", "200.00", "48.00"),
    (1, "31920.00", "E", "160.00", "200.00", "48.00"),
    (1, "31920.01", "F", "200.00", "250.00", "60.00"),
    (3, "27320.00", "A", "20.00", "20.00", "20.00"),
    (3, "40980.00", "C", "80.00", "100.00", "24.00"),
    (3, "40980.01", "D", "120.00", "150.00", "36.00"),
    (4, "33000.00", "A", "20.00", "20.00", "20.00"),
    (4, "33000.01", "B", "40.00", "50.00", "20.00"),
    (4, "41250.00", "B", "40.00", "50.00", "20.00"),
    (4, "41250.01", "C", "80.00", "100.00", "24.00"),
    (4, "66000.00", "E", "160.00", "200.00", "48.00"),
    (4, "66000.01", "F", "200.00", "250.00", "60.00"),
]


def _fees_by_code(body):
    return {row["code"]: row["fee"] for row in body["services"]}


@pytest.mark.parametrize(("size", "income", "klass", "individual", "intake", "group"), CASES_2026)
def test_quote_at_class_bounds_matches_hand_worked_figures(
    fee_config, client, size, income, klass, individual, intake, group
):
    with time_machine.travel(IN_2026, tick=False):
        response = client.get("/api/sliding-scale/quote", {"household_size": size, "annual_income": income})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["class_code"] == klass
    assert body["guideline_year"] == 2026
    assert _fees_by_code(body) == {"90791": intake, "90834": individual, "90837": individual, "90853": group}


@pytest.mark.parametrize(
    ("income", "klass", "individual"),
    [("21150.00", "A", "20.00"), ("37012.50", "D", "120.00"), ("37012.51", "E", "160.00")],
)
def test_a_2025_date_uses_the_2025_guideline(fee_config, client, income, klass, individual):
    with time_machine.travel(IN_2025, tick=False):
        body = client.get("/api/sliding-scale/quote", {"household_size": 2, "annual_income": income}).json()
    assert (body["guideline_year"], body["guideline_amount"]) == (2025, "21150.00")
    assert body["class_code"] == klass
    assert _fees_by_code(body)["90834"] == individual


def test_the_quote_reports_the_percent_of_guideline(fee_config, client):
    with time_machine.travel(IN_2026, tick=False):
        body = client.get("/api/sliding-scale/quote", {"household_size": 4, "annual_income": "49500"}).json()
    assert body["percent_of_guideline"] == "150.00"
    assert body["guideline_amount"] == "33000.00"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"household_size": 0, "annual_income": 1000},
        {"household_size": 2, "annual_income": -5},
        {"household_size": "x"},
    ],
)
def test_bad_quote_input_answers_400_with_field_messages(fee_config, client, params):
    response = client.get("/api/sliding-scale/quote", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_quote_stores_nothing_and_needs_no_login(fee_config, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = client.get("/api/sliding-scale/quote", {"household_size": 2, "annual_income": "30000"})
    assert response.status_code == 200
    assert SlidingScaleAssessment.objects.count() == 0


def test_the_quote_is_throttled(fee_config, client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"quote": "3/min"})
    codes = [
        client.get("/api/sliding-scale/quote", {"household_size": 1, "annual_income": "1"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_the_public_page_shows_the_fee_for_each_service(fee_config, client):
    with time_machine.travel(IN_2026, tick=False):
        response = client.get("/billing/what-will-i-pay/", {"household_size": 1, "annual_income": "19950"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "101–125%" in page
    assert "$40.00" in page and "$50.00" in page


def test_the_public_page_explains_bad_input(fee_config, client):
    response = client.get("/billing/what-will-i-pay/", {"household_size": 0, "annual_income": "abc"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_a_forged_forwarded_for_header_does_not_escape_the_quote_limit(fee_config, client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"quote": "3/min"})
    codes = [
        client.get(
            "/api/sliding-scale/quote",
            {"household_size": 1, "annual_income": "1"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]
