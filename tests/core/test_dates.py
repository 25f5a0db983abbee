"""Dates people type are kept to a reach around the clinic's today, by one rule that serves a form field, a serializer
field and a service alike, before any date arithmetic can overflow."""

import datetime as dt

import pytest
import time_machine
from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

from apps.core import clock
from apps.core.dates import DateReach, years_from
from apps.core.errors import Unprocessable

TWO_BACK_ONE_AHEAD = DateReach(years_back=2, years_ahead=1)


@time_machine.travel(clock.local_datetime(dt.date(2028, 2, 29), dt.time(23, 30)), tick=False)
def test_a_reach_counts_calendar_years_from_the_clinics_today():
    assert TWO_BACK_ONE_AHEAD.bounds() == (dt.date(2026, 2, 28), dt.date(2029, 2, 28))
    assert TWO_BACK_ONE_AHEAD.refusal(dt.date(2026, 2, 28)) == TWO_BACK_ONE_AHEAD.refusal(dt.date(2029, 2, 28)) == ""
    assert (
        TWO_BACK_ONE_AHEAD.refusal(dt.date(9999, 12, 31))
        == "Choose a date from February 28, 2026 to February 28, 2029."
    )
    assert DateReach(years_back=0, years_ahead=1).refusal(dt.date(2028, 2, 28)) == (
        "Choose a date from today to February 28, 2029."
    )
    assert years_from(dt.date(2028, 2, 29), 4) == dt.date(2032, 2, 29)


@time_machine.travel(clock.local_datetime(dt.date(2026, 3, 10), dt.time(12)), tick=False)
def test_one_reach_bounds_a_form_field_a_serializer_field_and_a_service():
    class Form(forms.Form):
        day = forms.DateField(validators=[TWO_BACK_ONE_AHEAD])

    class Input(serializers.Serializer):
        day = serializers.DateField(validators=[TWO_BACK_ONE_AHEAD])

    refused = "Choose a date from March 10, 2024 to March 10, 2027."
    assert Form({"day": "9999-12-31"}).errors == {"day": [refused]}
    assert Form({"day": "2027-03-10"}).is_valid()
    data = Input(data={"day": "0001-01-01"})
    assert not data.is_valid() and data.errors == {"day": [refused]}
    assert Input(data={"day": "2024-03-10"}).is_valid()
    with pytest.raises(Unprocessable, match=refused) as caught:
        TWO_BACK_ONE_AHEAD.require(dt.date(9999, 12, 31), field="day")
    assert caught.value.fields == {"day": [refused]}
    with pytest.raises(ValidationError):
        TWO_BACK_ONE_AHEAD(dt.date(1, 1, 1))
