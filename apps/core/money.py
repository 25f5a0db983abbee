"""Money is Decimal with two places, rounded half-up, never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money must not be built from float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value) -> str:
    """An amount as people read it: 1200 -> "$1,200.00"; -12.5 -> "−$12.50" (a minus sign, not a hyphen).
    Where a negative amount means a credit, the caller says so in words (see billing's balance_words)."""
    if value is None or value == "":
        return ""
    amount = money(value)
    return f"−${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
