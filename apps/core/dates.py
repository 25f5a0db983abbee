"""Dates people type, kept to what a clinic can mean. A mistyped year (9999, 0001) is refused with a message naming
the dates that are accepted, before it reaches date arithmetic, where a day past 9999-12-31 is a server error."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from . import clock
from .errors import Unprocessable


def years_from(day: dt.date, years: int) -> dt.date:
    """The same date `years` later (earlier when negative); February 29 becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class DateReach:
    """How many years before and after today (the clinic's) a date may lie, both ends included.

    Used as a validator it serves a Django form field and a DRF serializer field alike (DRF runs Django's
    validators); `require` is the same check for a service, refusing with Unprocessable."""

    years_back: int
    years_ahead: int

    def bounds(self) -> tuple[dt.date, dt.date]:
        today = clock.local_now().date()
        return years_from(today, -self.years_back), years_from(today, self.years_ahead)

    def refusal(self, day: dt.date) -> str:
        """Why `day` is out of reach, in words; "" when it is within."""
        earliest, latest = self.bounds()
        if earliest <= day <= latest:
            return ""
        if self.years_back == 0:
            return f"Choose a date from today to {latest:%B %-d, %Y}."
        return f"Choose a date from {earliest:%B %-d, %Y} to {latest:%B %-d, %Y}."

    def __call__(self, value: dt.date | None) -> None:
        if value is not None and (message := self.refusal(value)):
            raise ValidationError(message, code="out_of_reach")

    def require(self, day: dt.date, *, field: str) -> None:
        if message := self.refusal(day):
            raise Unprocessable(message, fields={field: [message]})


# The dates a report or a log is read for: any day of the clinic's records, and a little ahead.
REPORT_DATES = DateReach(years_back=100, years_ahead=10)
