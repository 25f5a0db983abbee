"""Builders for session-package tests: a patient placed in a class of the demo (HRSA) table."""

from decimal import Decimal

from apps.billing import pricing
from apps.core import clock

from .helpers import approved_assessment

# Percent of the poverty guideline for one person that lands in each class of the demo table.
CLASS_PERCENT = {"A": 90, "B": 110, "C": 140, "D": 160, "E": 190, "F": 250}


def patient_at_class(patient, code: str, **extra):
    """Approve an assessment for a household of one whose income is in class `code` of the table in force."""
    guideline = pricing.rates_on(on=clock.local_now().date()).guideline
    income = (guideline.first_person * CLASS_PERCENT[code] / 100).quantize(Decimal(1))
    return approved_assessment(patient, household_size=1, income=str(income), **extra)
