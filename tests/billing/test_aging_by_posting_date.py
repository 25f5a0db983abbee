"""The A/R aging report counts a charge from the day it was posted (billed), as statements and balances do: a
session on the last day of a month charged the next day ages from that next day, and a statement lists it after the
month's closing day (its month's statement when issued later, else the next one), never on both."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.models import Charge
from apps.billing.selectors.ledger import statement_body
from apps.billing.selectors.reports import ar_aging
from apps.billing.services.statements import statement_issue
from apps.core import clock

pytestmark = pytest.mark.django_db


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def test_aging_and_the_statement_agree_on_a_charge_posted_after_its_sessions_month(personas, fee_config):
    patient = personas.patient
    # Two months that are over: the session on the last day of the first, charged on the first of the second.
    second_end = _month_end(clock.local_now().date())
    first_end = _month_end(second_end)
    posted_on = first_end + dt.timedelta(days=1)
    charge = Charge.objects.create(
        patient=patient,
        kind="session",
        service_type=fee_config["90834"],
        service_date=first_end,
        description="Individual psychotherapy",
        full_fee=Decimal("200.00"),
        amount=Decimal("200.00"),
        class_code="A",
        class_label="Full fee",
        posted_at=clock.local_datetime(posted_on, dt.time(9, 0)),
    )

    first = statement_issue(actor=personas.billing, patient=patient, year=first_end.year, month=first_end.month)
    second = statement_issue(actor=personas.billing, patient=patient, year=second_end.year, month=second_end.month)

    first_body, second_body = statement_body(statement=first), statement_body(statement=second)
    assert first_body.balance_at_period_end == Decimal("0.00")
    assert ar_aging(as_of=first_end)["total"] == Decimal("0.00")
    assert [line.row for line in first_body.lines_after] == [charge]  # posted before the statement went out
    assert second.opening_balance == first.closing_balance == Decimal("200.00")
    assert second_body.lines == second_body.lines_after == []
    assert second.closing_balance == Decimal("200.00")
    assert ar_aging(as_of=second_end)["total"] == Decimal("200.00")
    # Thirty days after it was posted it is still 0-30 days old, although the session was 31 days before.
    (row,) = ar_aging(as_of=posted_on + dt.timedelta(days=30))["rows"]
    assert row["buckets"]["0-30"] == Decimal("200.00")
    assert row["buckets"]["31-60"] == Decimal("0.00")
