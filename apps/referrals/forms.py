"""The referral pages' forms. They shape input only; the services decide what is allowed."""

from django import forms

from apps.core.forms import picker_widgets
from apps.patients.forms import PatientChoiceField
from apps.patients.selectors import patients_visible_to

from .models import INBOUND_ENTRY_FIELDS, OUTBOUND_RECIPIENT_FIELDS, InboundReferral, OutboundReferral

FILE_HELP = "The physician's letter ruling out structural causes of the pain: a PDF, PNG or JPEG."


class _ActivePatientsMixin:
    def _patients(self, user):
        self.fields["patient"].queryset = patients_visible_to(user=user).filter(status="active")


class InboundForm(_ActivePatientsMixin, forms.ModelForm):
    patient = PatientChoiceField(
        queryset=None, required=False, help_text="Leave empty for someone with no chart yet, and name them below."
    )
    reason = forms.CharField(label="Reason for referral", widget=forms.Textarea(attrs={"rows": 4}))
    clearance = forms.FileField(label="Medical clearance", required=False, help_text=FILE_HELP)
    cleared_by = forms.CharField(label="Clearing physician", max_length=200, required=False)

    class Meta:
        model = InboundReferral
        fields = INBOUND_ENTRY_FIELDS
        widgets = picker_widgets(dates=("received_on",))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._patients(user)


class AcceptForm(_ActivePatientsMixin, forms.Form):
    patient = PatientChoiceField(
        queryset=None, label="Patient's chart", help_text="Register the patient first if they have no chart yet."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._patients(user)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ClearanceForm(forms.Form):
    file = forms.FileField(label="Medical clearance", help_text=FILE_HELP)
    cleared_by = forms.CharField(label="Clearing physician", max_length=200, required=False)


class OutboundForm(forms.ModelForm):
    reason = forms.CharField(
        label="Reason for referral",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Goes into the letter: what the provider needs, never session-note content.",
    )

    class Meta:
        model = OutboundReferral
        fields = OUTBOUND_RECIPIENT_FIELDS


class SendForm(forms.Form):
    release = forms.ModelChoiceField(queryset=None, label="Release of information", empty_label=None)

    def __init__(self, *args, releases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = releases
        self.fields["release"].label_from_instance = lambda s: (
            f"{s.version.document.title}, version {s.version.number}, signed {s.signed_at:%b %-d, %Y}"
        )
