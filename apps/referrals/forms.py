"""The referral pages' forms. They shape input only; the services decide what is allowed."""

from django import forms

from apps.core.forms import picker_widgets
from apps.core.phones import phone_to_e164
from apps.patients.forms import PatientChoiceField
from apps.patients.selectors import patients_visible_to

from .models import INBOUND_ENTRY_FIELDS, OUTBOUND_RECIPIENT_FIELDS, InboundReferral, OutboundReferral

FILE_HELP = "The physician's letter ruling out structural causes of the pain: a PDF, PNG or JPEG."


class _PhonesMixin:
    """Phone fields read as the patient form reads them: any usual way of typing a number, kept in E.164."""

    phone_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for field in self.phone_fields:
            if cleaned.get(field):
                try:
                    cleaned[field] = phone_to_e164(cleaned[field])
                except forms.ValidationError as error:
                    self.add_error(field, error)
        return cleaned


class _ActivePatientsMixin:
    def _patients(self, user):
        self.fields["patient"].queryset = patients_visible_to(user=user).filter(status="active")


class InboundForm(_PhonesMixin, _ActivePatientsMixin, forms.ModelForm):
    phone_fields = ("prospect_phone", "provider_phone")
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


class OutboundForm(_PhonesMixin, forms.ModelForm):
    phone_fields = ("recipient_phone",)
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
