from django import forms
from django.contrib.auth import get_user_model

from apps.accounts.roles import STAFF_ROLES
from apps.core.dates import REPORT_DATES


class AccessLogFilterForm(forms.Form):
    """What a privacy review asks: whose chart, which staff member, which days, and what was refused."""

    patient = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    actor = forms.ModelChoiceField(
        label="Staff member", required=False, empty_label="Anyone", queryset=get_user_model().objects.none()
    )
    since = forms.DateField(
        label="From", required=False, validators=[REPORT_DATES], widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, validators=[REPORT_DATES], widget=forms.DateInput(attrs={"type": "date"})
    )
    denied_only = forms.BooleanField(label="Refused attempts only", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = (
            get_user_model().objects.filter(groups__name__in=STAFF_ROLES).distinct().order_by("last_name", "first_name")
        )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data
