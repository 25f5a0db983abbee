"""The API's money input: the same reading of an amount as the forms' (apps.core.money.amount_read)."""

from decimal import Decimal

from rest_framework import serializers

from .api_parsers import WrittenNumber
from .money import AMOUNT_EXAMPLE, amount_read


class MoneyInput(serializers.DecimalField):
    """Dollars and cents, as a string ("120.00") or a JSON number (120.5), read as the client wrote it. Refused with
    AMOUNT_EXAMPLE on the field: exponent notation ("1e5" or 1e5 is not $100,000), "NaN", "Infinity", and a third
    decimal place (100.000 included), which would otherwise be read as another amount or rounded away unseen."""

    default_error_messages = {"invalid": AMOUNT_EXAMPLE}

    def __init__(self, *, max_digits: int = 9, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid")
        # A JSON number with a fraction or an exponent keeps its spelling from the request (apps.core.api_parsers);
        # a float from elsewhere is read by its shortest spelling, an exponent Python adds to a very large or small
        # one refused like a typed one.
        written = data.written if isinstance(data, WrittenNumber) else str(data)
        try:
            amount = amount_read(written)
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(amount)
