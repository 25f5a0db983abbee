"""The API's money input: the same reading of an amount as the forms' (apps.core.money.amount_read)."""

from decimal import Decimal

from rest_framework import serializers

from .money import AMOUNT_EXAMPLE, amount_read


class MoneyInput(serializers.DecimalField):
    """Dollars and cents, as a string ("120.00") or a JSON number (120.5). Refused with AMOUNT_EXAMPLE on the field:
    scientific notation ("1e5" is not $100,000), "NaN", "Infinity", and a third decimal place, which would otherwise
    be read as another amount or rounded away unseen."""

    default_error_messages = {"invalid": AMOUNT_EXAMPLE}

    def __init__(self, *, max_digits: int = 9, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid")
        try:
            # A JSON number arrives as a float: its shortest spelling (str) is what the client wrote, give or take
            # an exponent Python adds to very large or small ones, which is refused like a typed one.
            amount = amount_read(str(data))
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(amount)
