"""Form pieces every app shares: money fields that speak dollars, phone inputs that show numbers as people write
them, time inputs in hours and minutes, the period of days a report or a log is read for, and form errors named as
people name fields."""

import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .dates import REPORT_DATES
from .money import AMOUNT_EXAMPLE, CENT, amount_read, money_text
from .phones import phone_display
from .time_zones import zone_known, zone_label


class PhoneInput(forms.TextInput):
    """A phone number shown as people write it ("(617) 555-0123"), not as it is kept ("+16175550123"). What is
    typed is read by the form's own cleaning (`phone_to_e164`), so the shown form goes back in unchanged."""

    input_type = "tel"

    def format_value(self, value):
        return phone_display(value) if isinstance(value, str) else super().format_value(value)


class ZoneKeptMixin:
    """For a form whose `time_zone` field offers the zones by place: a zone the row keeps under a name the list
    leaves out (an old alias such as "US/Eastern", set through the API) is offered too, so the page shows it chosen
    and saving the other details keeps it, instead of the first choice taking its place."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field, kept = self.fields.get("time_zone"), self.initial.get("time_zone")
        if field is not None and kept and zone_known(kept) and not field.valid_value(kept):
            field.choices = [*field.choices, (kept, zone_label(kept))]


class ClockInput(forms.TimeInput):
    """The browser's time picker, filled in hours and minutes ("13:00") as it is typed: Django's default fills it
    with seconds ("13:00:00"), which the picker then shows and asks for, on a form that changes a saved time."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class MoneyField(forms.DecimalField):
    """Dollars and cents. Accepts what people type ("$1,200.00") and refuses in dollars, in a sentence that reads on
    its own under the field, patients' pages included ("Enter an amount of at least $0.01.")."""

    default_error_messages = {"invalid": AMOUNT_EXAMPLE}

    def __init__(self, *, min_value=Decimal("0.01"), max_value=None, max_digits=9, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)
        # An amount too long for its column is refused in dollars too, not as "no more than 7 digits before the
        # decimal point"; the third decimal place never gets this far (amount_read refuses it).
        largest = f"Enter an amount of at most {money_text(Decimal(10) ** (max_digits - 2) - CENT)}."
        self.error_messages.setdefault("max_digits", largest)
        self.error_messages.setdefault("max_whole_digits", largest)
        # Replace DecimalField's "Ensure this value is greater than…" with the amount in dollars.
        self.validators = [v for v in self.validators if not isinstance(v, MinValueValidator | MaxValueValidator)]
        if min_value is not None:
            self.validators.append(
                MinValueValidator(min_value, f"Enter an amount of at least {money_text(min_value)}.")
            )
        if max_value is not None:
            self.validators.append(MaxValueValidator(max_value, f"Enter an amount of at most {money_text(max_value)}."))
        self.min_value, self.max_value = min_value, max_value
        self.widget.attrs.pop("step", None)  # commas and a dollar sign are welcome, so not a number input's step
        self.widget.input_type = "text"
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace("$", "")
        if value in self.empty_values:
            return None
        try:
            return amount_read(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class KeptOnBackInput(forms.HiddenInput):
    """A hidden value that comes back with the values typed into its form when the browser goes Back to the page
    (with js/kept-on-back.js). Staff pages are not kept (no-store): Back loads the page anew, and the browser puts
    back what was typed into text fields, never a type="hidden" input's value."""

    input_type = "text"
    is_hidden = True  # listed with the hidden fields: no label

    def __init__(self, attrs=None):
        super().__init__(attrs={"hidden": True, "data-kept-on-back": "", **(attrs or {})})


class RecordedOnceForm(forms.Form):
    """A form that records money, with its submission key (apps.core.submissions): new each time the form is shown,
    kept when it comes back refused and on Back, so however often it is sent, it records once."""

    submission_key = forms.UUIDField(
        label="This form",
        required=False,
        widget=KeptOnBackInput,
        error_messages={"invalid": "is out of date: reload the page and enter it again."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission_key"] = uuid.uuid4()


def report_day_field(*, label: str | None = None, required: bool = True) -> forms.DateField:
    """A day of the clinic's records that a report or a log is read for, with the browser's date picker."""
    return forms.DateField(
        label=label, required=required, validators=[REPORT_DATES], widget=forms.DateInput(attrs={"type": "date"})
    )


class PeriodCheckMixin:
    """A report's or a log's period of days ends no earlier than it starts: the one check every such form makes.
    `period_fields` names the form's start and end fields; the error stands on the end."""

    period_fields = ("start", "end")

    def clean(self):
        data = super().clean()
        start, end = (data.get(name) for name in self.period_fields)
        if start and end and start > end:
            self.add_error(self.period_fields[1], "The end date is before the start date.")
        return data


class PeriodForm(PeriodCheckMixin, forms.Form):
    start = report_day_field()
    end = report_day_field()


def picker_widgets(*, dates=(), times=()) -> dict:
    """A ModelForm's `Meta.widgets` that give the named date and time fields the browser's own pickers."""
    widgets = {name: forms.DateInput(attrs={"type": "date"}) for name in dates}
    widgets.update({name: ClockInput() for name in times})
    return widgets


def form_errors_text(form) -> str:
    """A form's errors in one line, each named by the field's label ("Amount must be at least $0.01."), never by
    its code name. Messages written to follow the label ("must be…") read on from it; others follow a colon."""
    parts = []
    for name, errors in form.errors.items():
        if name not in form.fields:  # errors about the form as a whole
            parts.extend(errors)
            continue
        label = str(form[name].label)  # the field's label, or its name made readable ("Full fee")
        for message in errors:
            parts.append(f"{label} {message}" if message[:1].islower() else f"{label}: {message}")
    return " ".join(parts)
