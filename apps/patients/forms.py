from django import forms

from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import DEMOGRAPHIC_FIELDS, Patient


class PatientForm(forms.ModelForm):
    primary_therapist = forms.ModelChoiceField(
        queryset=User.objects.filter(groups__name=Role.THERAPIST, is_active=True), required=False
    )

    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}
