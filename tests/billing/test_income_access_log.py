"""A household's income is logged wherever it is read: the review page, the queue, the ledger and the API write
the same `income_view` rows, and a reader who is not shown incomes leaves none."""

import pytest

from apps.audit.models import AccessLog
from apps.billing.models import SlidingScaleAssessment

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db

API = "/api/sliding-scale/assessments/"


@pytest.fixture
def assessment(personas, fee_config):
    return approved_assessment(personas.patient, household_size=2, income="27100.00", reviewer=personas.billing)


def _income_reads(user, *, after: int = 0) -> list[tuple[str, int]]:
    rows = AccessLog.objects.filter(actor=user, action="income_view", pk__gt=after).order_by("pk")
    return list(rows.values_list("subject_id", "patient_id"))


def _last_log_id() -> int:
    """The log is append-only: a step's reads are the rows after this."""
    return AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_the_review_page_and_the_api_log_the_same_read(personas, login, assessment):
    expected = [(str(assessment.pk), personas.patient.pk)]
    page = login(personas.billing).get(f"/billing/assessments/{assessment.pk}/")
    assert page.status_code == 200
    assert _income_reads(personas.billing) == expected

    mark = _last_log_id()
    response = login(personas.billing, api=True).get(f"{API}{assessment.pk}/")
    assert response.status_code == 200 and response.json()["annual_income"] == "27100.00"
    assert _income_reads(personas.billing, after=mark) == expected


def test_a_list_logs_each_income_it_shows_on_the_page_and_in_the_api(personas, login, assessment):
    other = approved_assessment(personas.other_patient, household_size=1, income="15000.00", reviewer=personas.billing)
    SlidingScaleAssessment.objects.filter(pk__in=[assessment.pk, other.pk]).update(status="pending")

    assert login(personas.billing).get("/billing/assessments/").status_code == 200
    on_page = sorted(_income_reads(personas.billing))
    assert on_page == sorted([(str(assessment.pk), personas.patient.pk), (str(other.pk), personas.other_patient.pk)])

    mark = _last_log_id()
    response = login(personas.billing, api=True).get(API, {"status": "pending"})
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert sorted(_income_reads(personas.billing, after=mark)) == on_page


def test_the_ledger_logs_the_incomes_it_shows_billing_and_none_for_the_front_desk(personas, login, assessment):
    assert login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").status_code == 200
    assert _income_reads(personas.billing) == [(str(assessment.pk), personas.patient.pk)]

    assert login(personas.front_desk).get(f"/billing/patients/{personas.patient.pk}/").status_code == 200
    assert _income_reads(personas.front_desk) == []


def test_a_patient_reading_their_own_application_is_logged_too(personas, login, assessment):
    response = login(personas.patient_user, api=True).get(f"{API}{assessment.pk}/")
    assert response.status_code == 200
    assert "annual_income" in response.json()
    assert _income_reads(personas.patient_user) == [(str(assessment.pk), personas.patient.pk)]
