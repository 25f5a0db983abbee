from django import forms

from apps.core.forms import PortalForm

from .instruments import Instrument
from .services import JOURNAL_MAX_LENGTH


class JournalEntryForm(PortalForm):
    text = forms.CharField(
        label="What is on your mind?",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=JOURNAL_MAX_LENGTH,
        help_text="Write freely. Only you can read this unless you share it.",
    )
    share = forms.BooleanField(label="Share this entry with my therapist", required=False)


NOT_APPLICABLE = "not_applicable"


def _answer(value: str) -> int | None:
    return None if value == NOT_APPLICABLE else int(value)


class QuestionnaireForm(PortalForm):
    """One radio group per item, built from the instrument's published items and options. An item the instrument
    lets a respondent leave out (PHQ-15's menstrual item) has one more answer, "Does not apply to me"."""

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for index, item in enumerate(instrument.items, start=1):
            choices = [(str(value), label) for value, label in instrument.options]
            if index in instrument.optional_items:
                choices.append((NOT_APPLICABLE, "Does not apply to me"))
            self.fields[f"item_{index}"] = forms.TypedChoiceField(
                label=f"{index}. {item}",
                choices=choices,
                coerce=_answer,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose one of the answers."},
            )

    def answers(self) -> list[int | None]:
        return [self.cleaned_data[f"item_{index}"] for index in range(1, len(self.instrument.items) + 1)]
