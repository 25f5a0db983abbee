"""An amount typed into a form is dollars and cents as people write them ("$1,200.50", "75", ".5"): scientific
notation and other number spellings are refused rather than read as a different amount ("1e5" is not $100,000)."""

from decimal import Decimal

import pytest
from django import forms

from apps.core.forms import MoneyField


class AmountForm(forms.Form):
    amount = MoneyField()


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("75", Decimal("75")),
        ("$1,200.50", Decimal("1200.50")),
        (" 12.3 ", Decimal("12.3")),
        (".5", Decimal("0.5")),
        ("165.", Decimal("165")),
    ],
)
def test_amounts_as_people_type_them_are_read(typed, amount):
    form = AmountForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == amount


@pytest.mark.parametrize("typed", ["1e5", "1E2", "2e-1", "0x10", "1_000", "NaN", "Infinity", "12 5", "--5"])
def test_other_number_spellings_are_refused_with_the_usual_message(typed):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"] == ["Enter an amount like 120.00."]


@pytest.mark.parametrize("typed", ["99999999", "10000000", "123456789.5"])
def test_an_amount_beyond_the_fields_digits_is_refused_in_dollars(typed):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"] == ["Enter an amount of at most $9,999,999.99."]
