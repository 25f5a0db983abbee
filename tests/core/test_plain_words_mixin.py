"""PlainWordsMixin words the refusals Django would word, for the field by its label, and leaves alone the words a
form or a field of ours already gives."""

from django import forms

from apps.core.forms import MoneyField, PortalForm


class _Form(PortalForm):
    sessions = forms.IntegerField(label="Sessions a month", min_value=1, max_value=8)
    first_day = forms.DateField(label="First day (optional)", required=False)
    ratio = forms.DecimalField(label="Share", required=False)
    kind = forms.ChoiceField(label="Kind of session", choices=[("video", "Video"), ("office", "At the office")])
    email = forms.EmailField(label="Email", required=False)
    discount = forms.CharField(label="Discount in %", max_length=3, required=False)
    amount = MoneyField(label="Amount", required=False)
    household = forms.IntegerField(label="Household", required=False, error_messages={"invalid": "Count people."})


def _errors(data: dict) -> dict[str, list[str]]:
    form = _Form(data)
    assert not form.is_valid()
    return {name: list(errors) for name, errors in form.errors.items()}


def test_numbers_dates_and_choices_are_refused_naming_the_field():
    errors = _errors({"sessions": "two", "first_day": "31/31/2026", "ratio": "half", "kind": "phone", "email": "pat@"})

    assert errors == {
        "sessions": ["Enter “Sessions a month” as a whole number, for example 3."],
        "first_day": ["Enter “First day” as a date, for example 2026-03-31."],
        "ratio": ["Enter “Share” as a number, for example 2.5."],
        "kind": ["Choose one of the answers offered for “Kind of session”."],
        "email": ["Enter “Email” as an email address, for example name@example.com."],
    }


def test_limits_and_missing_answers_are_refused_naming_the_field():
    errors = _errors({"sessions": "9", "discount": "1000"})

    assert errors == {
        "sessions": ["Enter 8 or less for “Sessions a month”."],
        "kind": ["Choose an answer for “Kind of session”."],
        "discount": ["Shorten “Discount in %” to 3 characters or fewer: it has 4, 1 too many."],
    }
    assert _errors({"sessions": "0", "kind": "video"})["sessions"] == ["Enter 1 or more for “Sessions a month”."]
    assert _errors({"kind": "video"})["sessions"] == ["Fill in “Sessions a month”."]


def test_words_of_our_own_stand():
    errors = _errors({"sessions": "2", "kind": "video", "amount": "0", "household": "many"})

    assert errors == {"amount": ["Enter an amount of at least $0.01."], "household": ["Count people."]}
