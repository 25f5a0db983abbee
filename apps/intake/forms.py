import json

from django import forms

from .models import IntakeDocument


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
