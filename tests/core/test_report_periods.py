"""A report's or a log's period is checked by one rule wherever it is read: an end before the start is refused on
the end date, in the same words."""

import pytest

from apps.billing.forms import PeriodForm, SlidingScaleReportForm
from apps.ladder.forms import ReportPeriodForm
from apps.patients.access_log_forms import AccessLogFilterForm

BACKWARDS = "The end date is before the start date."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form_class", "start", "end"),
    [
        (PeriodForm, "start", "end"),
        (SlidingScaleReportForm, "start", "end"),
        (ReportPeriodForm, "start", "end"),
        (AccessLogFilterForm, "since", "until"),
    ],
)
def test_every_period_ending_before_it_starts_is_refused_on_its_end(form_class, start, end):
    backwards = form_class({start: "2026-05-02", end: "2026-05-01"})
    one_day = form_class({start: "2026-05-01", end: "2026-05-01"})

    assert not backwards.is_valid() and backwards.errors[end] == [BACKWARDS]
    assert one_day.is_valid(), one_day.errors
