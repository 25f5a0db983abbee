from django import forms

from apps.core.forms import PhoneInput, PortalForm, PortalModelForm, ZoneKeptMixin
from apps.patients.forms import ChartPhonesMixin, time_zone_field
from apps.patients.models import Patient

from .services import CONTACT_FIELDS


class ContactDetailsForm(ZoneKeptMixin, ChartPhonesMixin, PortalModelForm):
    time_zone = time_zone_field(label="Your time zone")

    class Meta:
        model = Patient
        fields = list(CONTACT_FIELDS)
        labels = {
            "preferred_name": "Name you like to be called",
            "email": "Email for reminders and receipts",
            "phone": "Mobile phone",
            "address_line1": "Street address",
            "address_line2": "Apartment, suite (optional)",
            "postal_code": "ZIP code",
            "emergency_contact_name": "Emergency contact: name",
            "emergency_contact_phone": "Emergency contact: phone",
            "emergency_contact_relationship": "Emergency contact: relationship",
        }
        help_texts = {
            "email": "This does not change the email you sign in with.",
            "phone": "For text reminders, if you want them. For example (617) 555-0123.",
        }
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": PhoneInput(attrs={"autocomplete": "tel"}),
            "emergency_contact_phone": PhoneInput(attrs={"autocomplete": "off"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "state": forms.TextInput(attrs={"autocomplete": "address-level1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
        }


class ReminderPreferencesForm(PortalForm):
    email = forms.BooleanField(label="Email me reminders", required=False)
    sms_consent = forms.BooleanField(
        label="I agree to receive text messages from the clinic",
        required=False,
        help_text="Texts carry only the time of your session, never anything about your care. "
        "Reply STOP at any time to end them.",
    )
    sms = forms.BooleanField(label="Text me reminders", required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sms") and not cleaned.get("sms_consent"):
            self.add_error("sms_consent", "Text reminders need your agreement to receive texts.")
        return cleaned


class SignInEmailForm(PortalForm):
    """A new address to sign in with, and the password again: a session left open is not enough to change it."""

    email = forms.EmailField(
        label="New email you sign in with",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We email a link to it. Nothing changes until you open that link.",
    )
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SignInEmailConfirmForm(PortalForm):
    for_reminders = forms.BooleanField(label="Also use it for reminders and receipts", required=False, initial=True)
