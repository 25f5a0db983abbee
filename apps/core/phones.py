"""Phone numbers as the clinic keeps them: E.164 ("+16175550123"), the only form a text can be sent to and the form
a texted reply arrives from. People type numbers every which way; forms and services read them through here."""

import re

from django.core.exceptions import ValidationError

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# A North American number: area code and exchange never start with 0 or 1.
NANP = re.compile(r"^\+1[2-9]\d{2}[2-9]\d{6}$")
PUNCTUATION = re.compile(r"[\s().\-]")
PHONE_HINT = "Enter the number with its area code, for example (617) 555-0123 or +16175550123."


def phone_to_e164(value: str) -> str:
    """'(617) 555-0123', '617.555.0123' or '1-617-555-0123' -> '+16175550123' (a US clinic: ten digits are a US
    number); '+44 20 7946 0958' -> '+442079460958'; '' stays ''. Anything that is not a phone number raises
    ValidationError with a hint."""
    if not value.strip():
        return ""
    digits = PUNCTUATION.sub("", value.strip())
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        digits = "+" + digits
    if not E164.match(digits) or (digits.startswith("+1") and not NANP.match(digits)):
        raise ValidationError(PHONE_HINT, code="invalid_phone")
    return digits


def validate_phone(value: str) -> None:
    """A model field validator: the value is a phone number (stored numbers are E.164 once a service has read them
    through `phone_to_e164`)."""
    phone_to_e164(value)


def phone_display(value: str) -> str:
    """How a person reads a stored number: '+16175550123' -> '(617) 555-0123'; a number from abroad stays in its
    international form; '' stays ''."""
    if value and NANP.match(value):
        return f"({value[2:5]}) {value[5:8]}-{value[8:]}"
    return value or ""
