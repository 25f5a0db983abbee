"""Money is Decimal with two places, rounded half-up, never float."""

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Digits with at most one decimal point and two places after it, and a sign (a negative amount is refused by a
# minimum, in its words).
AMOUNT_WRITTEN = re.compile(r"[-+]?(\d+(\.\d{0,2})?|\.\d{1,2})")

AMOUNT_EXAMPLE = "Enter an amount like 120.00."


def amount_read(text: str) -> Decimal:
    """An amount sent in a form or to the API, read as dollars and cents, or ValueError (say AMOUNT_EXAMPLE). Decimal
    also reads "1e5" (100000), "1_000", "NaN" and "Infinity": a slip of the keyboard, or a client's float, must not
    become another amount, nor a third decimal place be rounded away unseen."""
    text = text.strip()
    if not AMOUNT_WRITTEN.fullmatch(text):
        raise ValueError(AMOUNT_EXAMPLE)
    return Decimal(text)


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
