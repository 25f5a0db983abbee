"""What makes a program a lecture series: the education service it is billed under (never a psychotherapy code)
and its fee terms. Kept apart from registration so program setup can check terms without the registration's
dependencies."""

import re
from decimal import Decimal

from apps.core.errors import Unprocessable
from apps.scheduling.models import ServiceType

from ..models import PSYCHOTHERAPY_CODE_PATTERN, LectureFeeMode, ProgramKind

LECTURE_SERVICE_CODE = "EDU-LECT"


def lecture_service_type() -> ServiceType:
    """The education service lectures are billed under (seeded by a migration; made again if it was removed)."""
    service, _ = ServiceType.objects.get_or_create(
        code=LECTURE_SERVICE_CODE,
        defaults={"name": "Educational lecture", "duration_minutes": 90, "is_group": True},
    )
    return service


def is_psychotherapy_code(code: str) -> bool:
    return re.match(PSYCHOTHERAPY_CODE_PATTERN, code) is not None


def lecture_terms_check(*, kind: str, service_type, fee_mode: str, full_price, reduced_price) -> None:
    """A program's kind, service and fee agree: a lecture series is education with a fee mode (and, for a sliding
    fee, a full price above zero and a reduced one no higher); a group program has no lecture fee. The database
    holds the same rules; this says which field is wrong."""
    if kind == ProgramKind.GROUP:
        if fee_mode or full_price is not None or reduced_price is not None:
            raise Unprocessable("Only a lecture series has a lecture fee.", fields={"fee_mode": ["Lectures only."]})
        return
    if is_psychotherapy_code(service_type.code):
        raise Unprocessable(
            "A lecture series is education: choose an education service, not a psychotherapy code.",
            fields={"service_type": [f"Not a psychotherapy code (use {LECTURE_SERVICE_CODE})."]},
        )
    if fee_mode not in LectureFeeMode.values:
        raise Unprocessable("Choose how the lecture series is paid for.", fields={"fee_mode": ["Required."]})
    if fee_mode == LectureFeeMode.DONATION:
        if full_price is not None or reduced_price is not None:
            raise Unprocessable(
                "A free lecture series has no prices.", fields={"full_price": ["Leave empty for a free series."]}
            )
        return
    if full_price is None or full_price <= 0:
        raise Unprocessable("Give the full price per lecture.", fields={"full_price": ["More than zero."]})
    if reduced_price is None or not Decimal("0") <= reduced_price <= full_price:
        raise Unprocessable(
            "The reduced price is between zero and the full price.",
            fields={"reduced_price": ["Between zero and the full price."]},
        )
