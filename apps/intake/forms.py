import json

from django import forms

from apps.core.forms import PlainWordsMixin

from .models import IntakeDocument
from .selectors import RiskQuestion


class PublishForm(forms.Form):
    body = forms.CharField(label="Text patients read and sign", widget=forms.Textarea(attrs={"rows": 18}))
    fields_json = forms.CharField(
        label="Questions (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="The questionnaire's questions, in the note-template field format.",
    )
    confirm = forms.BooleanField(
        label="I understand that every patient who signed an earlier version will be asked to sign this one.",
    )

    def __init__(self, *args, document: IntakeDocument, **kwargs):
        super().__init__(*args, **kwargs)
        if not document.is_questionnaire:
            del self.fields["fields_json"]

    def clean_fields_json(self):
        raw = self.cleaned_data["fields_json"].strip()
        if not raw:
            return []
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc.msg} (line {exc.lineno}).") from None


class RiskAnswersForm(PlainWordsMixin, forms.Form):
    """One group of boxes per question with answers to choose from: the answers ticked raise a flag when a patient
    signs the questionnaire with one of them."""

    def __init__(self, *args, questions: list[RiskQuestion], **kwargs):
        # The questions are the current version's, so the fields are this form's own (the words pass runs on them).
        self.base_fields = {
            question.key: forms.MultipleChoiceField(
                label=question.label, choices=question.choices, required=False, widget=forms.CheckboxSelectMultiple
            )
            for question in questions
        }
        kwargs.setdefault("initial", {question.key: question.marked for question in questions})
        super().__init__(*args, **kwargs)

    def risk_answers(self) -> dict[str, list[str]]:
        return {key: values for key, values in self.cleaned_data.items() if values}
