import datetime as dt

from django import forms

from apps.core import clock
from apps.core.forms import PeriodForm, report_day_field

from .models import CareLevel
from .services import REASON_MAX_LENGTH

REPORT_DEFAULT_DAYS = 90


class CareLevelMoveForm(forms.Form):
    level = forms.ChoiceField(label="Move to", choices=CareLevel.choices)
    reason = forms.CharField(
        label="Why",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the chart's history of moves.",
    )

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The level the patient is on is no move at all.
        self.fields["level"].choices = [(v, label) for v, label in CareLevel.choices if v != current]


class ReportPeriodForm(PeriodForm):
    start = report_day_field(label="Left from")
    end = report_day_field(label="Until")

    @classmethod
    def default_data(cls) -> dict:
        today = clock.local_now().date()
        return {"start": today - dt.timedelta(days=REPORT_DEFAULT_DAYS), "end": today}
