"""What several billing writes share: the patient lock that orders every ledger write, reading an amount typed in,
the acting user as a ledger row records it, and month arithmetic."""

import datetime as dt
from decimal import Decimal

from apps.core.errors import Unprocessable
from apps.core.money import money


def patient_lock(patient):
    """Lock the patient's row: every write that depends on the patient's ledger takes it first, then the rows it
    changes, so writes to one ledger queue behind each other in the same order."""
    from apps.patients.models import Patient

    return Patient.objects.select_for_update().get(pk=patient.pk)


def positive_money(value, field: str) -> Decimal:
    try:
        amount = money(value)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise Unprocessable("Enter an amount in dollars and cents.", fields={field: ["Not an amount."]}) from exc
    if amount <= 0:
        raise Unprocessable("The amount must be more than zero.", fields={field: ["Must be more than zero."]})
    return amount


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
