"""Message forms for the portal and the clinic inbox. The services check the text and the files again, so the API
and these pages refuse the same input with the same words."""

from django import forms

from apps.core.forms import PortalForm

from .services import MESSAGE_MAX_LENGTH, SUBJECT_MAX_LENGTH
from .uploads import MAX_ATTACHMENTS, attachment_limit_text

CLINIC = "clinic"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label="Attach files (optional)",
        required=False,
        help_text=f"Up to {MAX_ATTACHMENTS} {attachment_limit_text()}.",
        widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )


class ReplyForm(PortalForm):
    text = forms.CharField(
        label="Your message", max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = _attachments_field()


class NewThreadForm(PortalForm):
    recipient = forms.ChoiceField(label="To", required=False)
    subject = forms.CharField(max_length=SUBJECT_MAX_LENGTH)
    text = forms.CharField(
        label="Your message", max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = _attachments_field()

    def __init__(self, *args, therapists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.therapists = {str(t.pk): t for t in therapists}
        if self.therapists:
            choices = [(CLINIC, "The clinic (front desk)")]
            choices += [(pk, f"{t.full_name} (your therapist)") for pk, t in self.therapists.items()]
            self.fields["recipient"].choices = choices
            self.fields["recipient"].initial = CLINIC
        else:
            del self.fields["recipient"]

    def therapist(self):
        """The therapist chosen, or None for the clinic."""
        return self.therapists.get(self.cleaned_data.get("recipient") or CLINIC)
