"""What a chart's fields must hold to be believed. Forms and the chart services check through here, so a page and the
API refuse the same values with the same words."""

import datetime as dt

from django.core.exceptions import ValidationError

from apps.core import clock

# The database holds this floor too (patient_born_from_1900); "not in the future" moves with the clock, so only
# the services can hold it.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def validate_date_of_birth(value: dt.date) -> None:
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError("A date of birth before 1900 is not accepted: check the year.", code="too_early")
    if value > clock.local_now().date():
        raise ValidationError("A date of birth cannot be in the future.", code="in_future")
