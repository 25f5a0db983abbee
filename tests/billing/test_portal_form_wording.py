"""The patient's billing forms refuse in sentences written for them, never Django's own wording
("Ensure this value is greater than or equal to 1.", "This field is required.")."""

import html
import re

import pytest

from apps.billing.forms import SuperbillPeriodForm
from apps.billing.models import SlidingScaleAssessment

pytestmark = pytest.mark.django_db

DJANGO_WORDING = ("Ensure this value", "This field is required.", "Enter a whole number.", "Enter a number.")


def _field_errors(body: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'<ul class="errorlist">\s*<li>(.*?)</li>', body)]


@pytest.mark.parametrize(
    ("posted", "said"),
    [
        ({"household_size": "0", "annual_income": "30000"}, "A household has at least one person: you."),
        ({"household_size": "21", "annual_income": "30000"}, "For a household of more than 20 people"),
        ({"household_size": "", "annual_income": "30000"}, "Enter how many people live in your household"),
        ({"household_size": "two", "annual_income": "30000"}, "Enter how many people live in your household"),
        ({"household_size": "2", "annual_income": ""}, "Enter your household's income for a year"),
        ({}, "Enter how many people live in your household"),
    ],
)
def test_the_sliding_scale_application_refuses_in_sentences(personas, login, posted, said):
    response = login(personas.patient_user).post("/portal/billing/apply/", posted)

    body = response.content.decode()
    assert response.status_code == 422 and 'id="error-summary"' in body
    errors = _field_errors(body)
    assert any(error.startswith(said) for error in errors), errors
    assert not any(wording in body for wording in DJANGO_WORDING)
    assert not SlidingScaleAssessment.objects.exists()


def test_the_period_a_patient_asks_a_superbill_for_is_refused_in_words():
    form = SuperbillPeriodForm({"start": "soon", "end": ""})

    assert not form.is_valid()
    assert form.errors == {"start": ["Enter “Start” as a date, for example 2026-03-31."], "end": ["Fill in “End”."]}
