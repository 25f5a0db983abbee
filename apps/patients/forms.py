from django import forms

from apps.accounts.selectors import active_therapists
from apps.core import clock
from apps.core.forms import PhoneInput, ZoneKeptMixin
from apps.core.phones import phone_to_e164
from apps.core.time_zones import zone_choices, zone_place

from .models import DEMOGRAPHIC_FIELDS, DESK_CONSENT_METHODS, Patient, SmsConsentMethod
from .validators import EARLIEST_BIRTH_DATE, validate_date_of_birth


class PatientChoiceField(forms.ModelChoiceField):
    """Every staff form that chooses a patient: each choice reads as the patient's name, date of birth and chart
    number (Patient.choice_label)."""

    def label_from_instance(self, obj: Patient) -> str:
        return obj.choice_label


def time_zone_field(*, label: str) -> forms.ChoiceField:
    """The chart's time zone as every form offers it: a zone people live in, or blank for the clinic's."""
    return forms.ChoiceField(
        label=label,
        choices=zone_choices(blank_label=f"Same as the clinic ({zone_place(clock.clinic_tz())})"),
        required=False,
        help_text="Session times are shown in this zone too when it is not the clinic's.",
    )


class ChartPhonesMixin:
    """A chart form's phone numbers in E.164. A number already on file is left as it is; only what is typed now is
    checked (as the chart services do)."""

    def _phone(self, field: str) -> str:
        value = self.cleaned_data[field]
        return phone_to_e164(value) if field in self.changed_data else value

    def clean_phone(self):
        return self._phone("phone")

    def clean_emergency_contact_phone(self):
        return self._phone("emergency_contact_phone")


class PatientForm(ZoneKeptMixin, ChartPhonesMixin, forms.ModelForm):
    primary_therapist = forms.ModelChoiceField(queryset=active_therapists(), required=False)
    time_zone = time_zone_field(label="Patient's time zone")

    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date", "min": EARLIEST_BIRTH_DATE.isoformat()}),
            "phone": PhoneInput(attrs={"autocomplete": "off"}),
            "emergency_contact_phone": PhoneInput(attrs={"autocomplete": "off"}),
        }
        help_texts = {"phone": "Mobile number with its area code, for example (617) 555-0123."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].widget.attrs["max"] = clock.local_now().date().isoformat()

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if "date_of_birth" in self.changed_data:
            validate_date_of_birth(value)
        return value


class SmsConsentForm(forms.Form):
    """Consent to texts the patient gave at the desk, or its withdrawal: how they said it, and the staff member's
    confirmation that they did (the page's one question before recording it)."""

    how = forms.ChoiceField(
        label="How the patient told us",
        choices=[(m.value, m.label) for m in map(SmsConsentMethod, DESK_CONSENT_METHODS)],
        widget=forms.RadioSelect,
    )
    text_reminders = forms.BooleanField(label="Send them text reminders before sessions", required=False)
    confirmed = forms.BooleanField(required=True)

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.giving = patient.sms_consent_at is None
        if self.giving:
            self.fields["text_reminders"].initial = True
            self.fields["confirmed"].label = (
                "The patient, who replied STOP before, agreed again to receive text messages from the clinic at "
                "this number"
                if patient.sms_opted_out_at
                else "The patient agreed to receive text messages from the clinic at this number"
            )
        else:
            del self.fields["text_reminders"]
            self.fields["confirmed"].label = "The patient asked to stop text messages from the clinic"
        self.fields["confirmed"].error_messages["required"] = "Tick this to confirm what the patient said."
