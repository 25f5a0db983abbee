"""What the patient sees before confirming: the session's fee at their sliding-scale class, priced by billing's
one rule, and the Good Faith Estimate that covers it."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from apps.billing.pricing import charge_price
from apps.billing.selectors.estimates import estimate_covering
from apps.core.errors import Unprocessable


@dataclass(frozen=True)
class Quote:
    fee: Decimal | None  # None: the clinic has no fee set for the service that day
    class_label: str
    estimate_total: Decimal | None  # the covering estimate's total, or the new one's (the session's fee)
    estimate_is_new: bool  # confirming issues an estimate for this session


def booking_quote(*, patient, service_type, day: dt.date, first_session: bool) -> Quote:
    """The fee the session's charge would post (priced on `day`, its date where it is held, as the charge and a
    first session's estimate are), and the estimate: booking a first session always issues one (as staff booking
    of an intake does); a move issues one only when none of the patient's estimates covers the session's service on
    `day`, and otherwise the one that does is shown."""
    try:
        price = charge_price(patient=patient, service_type_id=service_type.pk, on=day, policy_fee=False)
    except Unprocessable:
        return Quote(fee=None, class_label="", estimate_total=None, estimate_is_new=False)
    covering = None
    if not first_session:
        covering = estimate_covering(patient=patient, service_type_id=service_type.pk, day=day)
    if covering is not None:
        return Quote(fee=price.fee, class_label=price.class_label, estimate_total=covering.total, estimate_is_new=False)
    return Quote(fee=price.fee, class_label=price.class_label, estimate_total=price.fee, estimate_is_new=True)
