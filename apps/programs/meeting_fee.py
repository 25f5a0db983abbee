"""What a group program costs a patient: each meeting attended is charged as billing charges a group attendance
(`charge_for_group_attendance`), at the patient's class on the meeting's date; the portal states that figure before
the patient takes a seat, with the most the program's meetings can cost."""

from dataclasses import dataclass
from decimal import Decimal

from apps.billing import pricing
from apps.core import clock
from apps.core.errors import Unprocessable

from .models import GroupProgram


@dataclass(frozen=True)
class ProgramFee:
    price: pricing.Price
    meetings: int

    @property
    def slides(self) -> bool:
        """Whether an approved sliding-scale assessment sets the fee (else the full fee applies)."""
        return self.price.assessment is not None

    @property
    def most(self) -> Decimal:
        """Every meeting attended: charged per meeting, so nothing more is ever owed for the program."""
        return self.price.fee * self.meetings


def program_meeting_fee(*, patient, program: GroupProgram) -> ProgramFee | None:
    """The patient's charge for attending the program's next meeting (its first before it starts), priced by the
    attendance charge's own rule. None when the clinic has no fee for the group's service that day."""
    upcoming = (
        program.meetings.select_related("appointment")
        .filter(appointment__start__gte=clock.now())
        .exclude(appointment__status="cancelled")
        .order_by("number")
        .first()
    )
    try:
        if upcoming is not None:
            price = pricing.session_outcome_price(patient=patient, appointment=upcoming.appointment, policy_fee=False)
        else:
            price = pricing.charge_price(
                patient=patient, service_type_id=program.service_type_id, on=program.first_meeting_on, policy_fee=False
            )
    except Unprocessable:
        return None
    return ProgramFee(price=price, meetings=program.meeting_count)
