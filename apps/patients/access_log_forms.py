from django import forms
from django.contrib.auth import get_user_model

from apps.accounts.roles import STAFF_ROLES
from apps.core.forms import PeriodCheckMixin, report_day_field


class AccessLogFilterForm(PeriodCheckMixin, forms.Form):
    """What a privacy review asks: whose chart, which staff member, which days, and what was refused."""

    patient = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    actor = forms.ModelChoiceField(
        label="Staff member", required=False, empty_label="Anyone", queryset=get_user_model().objects.none()
    )
    since = report_day_field(label="From", required=False)
    until = report_day_field(label="To", required=False)
    denied_only = forms.BooleanField(label="Refused attempts only", required=False)
    period_fields = ("since", "until")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = (
            get_user_model().objects.filter(groups__name__in=STAFF_ROLES).distinct().order_by("last_name", "first_name")
        )
