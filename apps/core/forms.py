"""Form pieces every app shares: money fields that speak dollars, phone inputs that show numbers as people write
them, time inputs in hours and minutes, the period of days a report or a log is read for, form errors named as
people name fields, and the plain words every form a patient fills in refuses with."""

import re
import uuid
from decimal import Decimal

from django import forms
from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.utils import pretty_name

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


# The status a patient's page answers a form sent back refused: the same on every portal page, whatever refused it
# (a field left out, a service's check).
FORM_REFUSED_STATUS = 422

_OPTIONAL = re.compile(r"\s*\((optional|if any)\)\s*$", re.IGNORECASE)


def _quoted(label: str) -> str:
    """The field's label as a patient reads it above the field, in quotes, without "(optional)" or a closing colon."""
    plain = _OPTIONAL.sub("", label).strip().rstrip(":").strip()
    return f"“{plain}”"


def _filled(words: str) -> str:
    """Words that are filled in with the refusal's own values (a choice, a limit): a "%" of the label doubled."""
    return words.replace("%", "%%")


def _sentence(*parts: str) -> str:
    """Words ending at a quoted label that ends in a question mark need no full stop after it."""
    text = "".join(parts)
    return text if text.endswith("?”") else f"{text}."


class _CharactersAtMost(django_validators.MaxLengthValidator):
    """Too long, counted as people count: "2,000 characters" and what the text has, "2,345"."""

    def __call__(self, value):
        count = self.clean(value)
        if self.compare(count, self.limit_value):
            params = {"limit": f"{self.limit_value:,}", "count": f"{count:,}", "over": f"{count - self.limit_value:,}"}
            raise ValidationError(self.message, code=self.code, params=params)


class _CharactersAtLeast(django_validators.MinLengthValidator):
    def __call__(self, value):
        count = self.clean(value)
        if self.compare(count, self.limit_value):
            raise ValidationError(
                self.message, code=self.code, params={"limit": f"{self.limit_value:,}", "count": f"{count:,}"}
            )


def _django_defaults(field: forms.Field) -> dict[str, str]:
    """The messages Django's own field classes give `field` (its class's codes that no class of ours words), as
    they read: what a field still says in Django's words, unless a form or a field of ours worded it."""
    defaults: dict[str, object] = {}
    for cls in reversed(type(field).__mro__):
        for code, message in getattr(cls, "default_error_messages", {}).items():
            defaults[code] = message if cls.__module__.startswith("django.") else None
    return {code: str(message) for code, message in defaults.items() if message is not None}


def _required_words(field: forms.Field, label: str) -> str:
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return _sentence("Choose at least one answer for ", label)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return _sentence("Choose an answer for ", label)
    if isinstance(field, forms.BooleanField):
        return _sentence("Tick ", label, " to go on")
    if isinstance(field, forms.FileField):
        return _sentence("Add a file for ", label)
    return _sentence("Fill in ", label)


def _invalid_words(field: forms.Field, label: str) -> str | None:
    if isinstance(field, forms.DecimalField | forms.FloatField):  # before IntegerField: Django derives them from it
        return _sentence("Enter ", label, " as a number, for example 2.5")
    if isinstance(field, forms.IntegerField):
        return _sentence("Enter ", label, " as a whole number, for example 3")
    if isinstance(field, forms.DateTimeField):
        return _sentence("Enter ", label, " as a date and a time, for example 2026-03-31 14:30")
    if isinstance(field, forms.DateField):
        return _sentence("Enter ", label, " as a date, for example 2026-03-31")
    if isinstance(field, forms.TimeField):
        return _sentence("Enter ", label, " as a time, for example 09:30 or 14:30")
    if isinstance(field, forms.URLField):
        return _sentence("Enter ", label, " as a web address, for example https://example.org")
    if isinstance(field, forms.FileField):
        return _sentence("Choose a file again for ", label, ": none arrived")
    return None


def _choice_words(label: str) -> str:
    return _filled(_sentence("Choose one of the answers offered for ", label))


def _field_words(field: forms.Field, label: str) -> dict[str, str]:
    """Plain words for the field's own errors, by code."""
    words = {"required": _required_words(field, label), "invalid_choice": _choice_words(label)}
    words["invalid_pk_value"] = words["invalid_choice"]
    words["invalid_list"] = _sentence("Choose one of the answers offered for ", label)
    if (invalid := _invalid_words(field, label)) is not None:
        words["invalid"] = invalid
    if isinstance(field, forms.FileField):
        words["missing"] = words["invalid"]
        words["empty"] = _sentence("The file chosen for ", label, " is empty: choose another")
        words["contradiction"] = _sentence("Either choose a new file for ", label, " or tick to remove it, not both")
    return words


def _plain_validator(validator, label: str):
    """A validator of Django's that still has its own words, worded plainly for the field; None for any other."""
    kind = type(validator)
    if kind not in _PLAIN_VALIDATORS or validator.message != kind.message:
        return None
    label = _filled(label)
    if kind is django_validators.MaxLengthValidator:
        words = _sentence("Shorten ", label, " to %(limit)s characters or fewer: it has %(count)s, %(over)s too many")
        return _CharactersAtMost(validator.limit_value, words)
    if kind is django_validators.MinLengthValidator:
        words = _sentence("Write at least %(limit)s characters for ", label, ": it has %(count)s")
        return _CharactersAtLeast(validator.limit_value, words)
    if kind is django_validators.MinValueValidator:
        return kind(validator.limit_value, _sentence("Enter %(limit_value)s or more for ", label))
    if kind is django_validators.MaxValueValidator:
        return kind(validator.limit_value, _sentence("Enter %(limit_value)s or less for ", label))
    words = _sentence("Enter ", label, " as an email address, for example name@example.com")
    return kind(words, allowlist=validator.domain_allowlist)


_PLAIN_VALIDATORS = (
    django_validators.MaxLengthValidator,
    django_validators.MinLengthValidator,
    django_validators.MinValueValidator,
    django_validators.MaxValueValidator,
    django_validators.EmailValidator,
)


class PlainWordsMixin:
    """For every form a patient fills in (each form a portal page shows derives from it): the errors Django would
    word ("This field is required.", "Ensure this value has at most 2000 characters (it has 2345).", "Select a valid
    choice.", "Enter a whole number.", "Enter a valid date.") say instead, in a sentence naming the field by its
    label, what to do: "Fill in “Subject”.", "Shorten “Your entry” to 2,000 characters or fewer: it has 2,345, 345
    too many.". Words a form or a field gives itself (a field's `error_messages`, a validator's message, MoneyField's
    dollars) stand."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = _quoted(str(field.label) if field.label is not None else pretty_name(name))
            defaults = _django_defaults(field)
            for code, words in _field_words(field, label).items():
                if code in field.error_messages and str(field.error_messages[code]) == defaults.get(code):
                    field.error_messages[code] = words
            # A field's own words for a validator's code are the field's (Field.run_validators): those stand.
            field.validators = [
                validator
                if getattr(validator, "code", None) in field.error_messages
                else _plain_validator(validator, label) or validator
                for validator in field.validators
            ]


class PortalForm(PlainWordsMixin, forms.Form):
    """A form a patient fills in, refusing in plain words (PlainWordsMixin)."""


class PortalModelForm(PlainWordsMixin, forms.ModelForm):
    """A model form a patient fills in, refusing in plain words (PlainWordsMixin)."""
