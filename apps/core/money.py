"""Money is Decimal with two places, rounded half-up, never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money must not be built from float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
