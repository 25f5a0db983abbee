from django import forms
from django.contrib.auth import password_validation

from apps.core.forms import PortalForm, picker_widgets
from apps.core.models import ClinicSettings

from .disciplines import Discipline, discipline_of
from .mfa import CODE_ASKED, CODE_DIGITS
from .models import TherapistProfile, User
from .roles import STAFF_ROLES, Role
from .selectors import supervisors_eligible
from .services import API_TOKEN_LIFETIMES_DAYS, THERAPIST_PROFILE_FIELDS


class TokenForm(PortalForm):
    """The code from an authenticator app, asked of patients and staff alike. A code left out or not 6 digits is
    refused here in one sentence; whether it passes, and why not, is mfa's to say (wrong, expired, used)."""

    token = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}),
        error_messages={"required": CODE_ASKED, "min_length": CODE_DIGITS, "max_length": CODE_DIGITS},
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not (token.isascii() and token.isdigit()):
            raise forms.ValidationError(CODE_DIGITS, code="invalid")
        return token


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Repeat password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            raise forms.ValidationError("The two passwords differ.")
        if cleaned.get("password1"):
            password_validation.validate_password(cleaned["password1"])
        return cleaned


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = ClinicSettings
        fields = [
            "name",
            "address",
            "phone",
            "email",
            "tax_id",
            "npi",
            "telehealth_patient_at_home",
            "cancellation_window_hours",
            "reminder_email_lead_hours",
            "reminder_sms_lead_hours",
            "seat_offer_hold_hours",
            "stranded_after_days",
            "quiet_hours_start",
            "quiet_hours_end",
            "patient_messages_to_therapists",
            "records_release_session_notes",
            "self_booking_enabled",
            "self_booking_min_notice_hours",
            "self_booking_horizon_weeks",
            "intake_packet_on_series",
            "require_medical_clearance",
            "release_valid_days",
        ]
        widgets = picker_widgets(times=("quiet_hours_start", "quiet_hours_end"))
        labels = {
            "tax_id": "Tax ID (EIN)",
            "cancellation_window_hours": "Late cancellation: hours before a session",
            "reminder_email_lead_hours": "Email reminder: hours before a session",
            "reminder_sms_lead_hours": "Text reminder: hours before a session",
            "seat_offer_hold_hours": "A group seat offered is held for (hours)",
            "quiet_hours_start": "No texts from",
            "quiet_hours_end": "No texts until",
        }
        help_texts = {
            "tax_id": "Printed on superbills, statements and Good Faith Estimates.",
            "npi": "Ten digits, printed on superbills.",
            "cancellation_window_hours": (
                "Cancelling later than this is a late cancellation. It is charged the late-cancel / no-show policy fee "
                "under Billing, Fees and sliding scale, reduced by the patient's sliding-scale class."
            ),
        }


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text="What they may do: each role opens its own pages.",
        # Said of the boxes, not "this field": a staff member without any role could open no page at all.
        error_messages={"required": "Tick at least one role: to end their access, deactivate them below instead."},
    )

    def __init__(self, *args, member: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Someone given the therapist role back comes back to the supervisor their profile names, who may have left
        # meanwhile: they are named one in the same step (their clinical profile shows only once they are a therapist).
        profile = getattr(member, "therapist_profile", None)
        if (
            Role.THERAPIST not in member.roles
            and profile is not None
            and (profile.is_prelicensed or profile.supervisor_id)
        ):
            self.fields["supervisor"] = forms.ModelChoiceField(
                queryset=supervisors_eligible(therapist=member, discipline=discipline_of(member)).select_related(
                    "therapist_profile"
                ),
                required=False,
                initial=profile.supervisor_id,
                label="Supervisor, when given the therapist role",
                help_text="Who co-signs their notes: another active, licensed therapist of their discipline.",
            )
            self.fields["supervisor"].label_from_instance = supervisor_label

    def profile_changes(self) -> dict | None:
        """The clinical profile's fields to change with the roles (the supervisor chosen), or None."""
        return {"supervisor": self.cleaned_data["supervisor"]} if "supervisor" in self.fields else None


# A form's EmailField allows 320 characters; the sign-in email column holds 254 (the longest an address may be).
# Wider input would reach the database and fail there, losing what was typed, instead of failing on the field.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


class StaffDetailsForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        help_text=(
            "What they sign in with. A change is told at the old address and the new one, and signs them out "
            "everywhere."
        ),
    )


class ClinicalProfileForm(forms.Form):
    """A therapist's clinical profile on their staff page: the model's own fields, labels and help; the rules are
    therapist_profile_change's, which says what it refuses on the field it names."""

    def __init__(self, *args, member: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                TherapistProfile,
                fields=THERAPIST_PROFILE_FIELDS,
                labels={
                    "license_type": "License type",
                    "license_number": "License number",
                    "is_prelicensed": "Pre-licensed (their notes need a supervisor's co-signature)",
                    "reduced_fee_cap": "Reduced-fee cap",
                    "accepts_patient_messages": "Takes secure messages from their patients",
                    "accepts_new_patients": "Accepts new patients",
                },
                help_texts={"npi": "Ten digits, printed on superbills.", "supervisor": "Required when pre-licensed."},
            )
        )
        # Only those the service would accept, of the discipline being saved: the member's, or one chosen in the
        # same post (a supervised therapist changes discipline and supervisor together).
        chosen = self.data.get("discipline")
        discipline = chosen if chosen in Discipline.values else discipline_of(member)
        supervisor = self.fields["supervisor"]
        supervisor.queryset = supervisors_eligible(therapist=member, discipline=discipline).select_related(
            "therapist_profile"
        )
        # The supervisor the profile names already, kept as posted, is the service's to judge: a discipline changed
        # under them is refused there with every other reason the change meets, where refusing the choice here would
        # say only this one (and offer nothing of the rest until it was fixed).
        named = getattr(getattr(member, "therapist_profile", None), "supervisor_id", None)
        if self.is_bound and named is not None and str(self.data.get("supervisor")) == str(named):
            supervisor.queryset = supervisor.queryset | User.objects.filter(pk=named)
        supervisor.label_from_instance = supervisor_label

    @staticmethod
    def initial_for(member: User) -> dict:
        profile = getattr(member, "therapist_profile", None) or TherapistProfile(user=member)
        return {name: getattr(profile, name) for name in THERAPIST_PROFILE_FIELDS}


def supervisor_label(user: User) -> str:
    profile = getattr(user, "therapist_profile", None)
    return str(profile) if profile is not None else user.full_name or user.email


class StaffInvitationForm(forms.Form):
    email = forms.EmailField(max_length=EMAIL_MAX_LENGTH)
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES])

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone already has an account with this email.")
        return email


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, so you can tell your tokens apart.")
    lifetime_days = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        initial=30,
        choices=[(days, f"{days} days") for days in API_TOKEN_LIFETIMES_DAYS],
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name
