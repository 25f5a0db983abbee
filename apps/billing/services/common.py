"""What several billing writes share: the patient lock that orders every ledger write, a charge line at a worked-out
price, reading an amount typed in, the acting user as a ledger row records it, and month arithmetic."""

import calendar
import datetime as dt
from decimal import Decimal

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.core.money import money
from apps.core.transitions import actor_or_none

from ..models import Charge
from ..pricing import Price


def patient_lock(patient):
    """Lock the patient's row: every write that depends on the patient's ledger takes it first, then the rows it
    changes, so writes to one ledger queue behind each other in the same order."""
    from apps.patients.models import Patient

    return Patient.objects.select_for_update().get(pk=patient.pk)


def charge_at(*, actor, patient, price: Price, **fields) -> Charge:
    """A ledger line for `patient`, not yet saved, with the fees and class `price` worked out frozen on it, posted
    now by `actor` (None for the system). `fields` says what it is for: kind, service, date, description."""
    return Charge(
        patient=patient,
        full_fee=price.full_fee,
        amount=price.fee,
        class_code=price.class_code,
        class_label=price.class_label,
        assessment=price.assessment,
        posted_at=clock.now(),
        posted_by=actor_or_none(actor),
        **fields,
    )


def appointment_charge(
    *, actor, appointment, patient, kind: str, service_date: dt.date, price: Price, description: str
):
    """`charge_at` for one patient's outcome of an appointment: the appointment's service and therapist on the line."""
    return charge_at(
        actor=actor,
        patient=patient,
        price=price,
        kind=kind,
        appointment=appointment,
        service_type_id=appointment.service_type_id,
        therapist_id=appointment.therapist_id,
        service_date=service_date,
        description=description,
    )


def positive_money(value, field: str) -> Decimal:
    try:
        amount = money(value)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise Unprocessable("Enter an amount in dollars and cents.", fields={field: ["Not an amount."]}) from exc
    if amount <= 0:
        raise Unprocessable("The amount must be more than zero.", fields={field: ["Must be more than zero."]})
    return amount


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter (January 31 + 1 → February 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise Unprocessable(f"{day:%B %-d, %Y} is too far away to count months from; check the year.")
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
