"""The Django admin is no way around the services: what changes only through a service (with its history, its
transition and audit rows) is only read there, even by a superuser_admin."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.models import FeeSchedule, PovertyGuideline, SlidingScaleAssessment, SlidingScaleSchedule

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db


def test_fees_guidelines_the_scale_and_assessments_are_read_not_changed(superuser_admin, personas, fee_config):
    assessment = approved_assessment(personas.patient, household_size=3, income="34150")
    fee = FeeSchedule.objects.first()
    rows = {
        "feeschedule": fee,
        "povertyguideline": PovertyGuideline.objects.first(),
        "slidingscaleschedule": SlidingScaleSchedule.objects.first(),
        "slidingscaleassessment": assessment,
    }
    for model, row in rows.items():
        url = f"/admin/billing/{model}/{row.pk}/change/"
        assert superuser_admin.get(url).status_code == 200, model  # read
        assert superuser_admin.post(url, {}).status_code == 403, model
        assert superuser_admin.get(f"/admin/billing/{model}/add/").status_code == 403, model
        assert superuser_admin.post(f"/admin/billing/{model}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser_admin.post(
        f"/admin/billing/feeschedule/{fee.pk}/change/",
        {"service_type": fee.service_type_id, "full_fee": "1.00", "effective_from": dt.date(2020, 1, 1)},
    )
    assert FeeSchedule.objects.get(pk=fee.pk).full_fee != Decimal("1.00")
    assert SlidingScaleAssessment.objects.get(pk=assessment.pk).status == "approved"


def test_the_admin_never_shows_a_patients_income(superuser_admin, personas, fee_config):
    """Income is read on the billing pages, where each reading is in the access log; the admin shows an assessment's
    state and class, never the attested figures."""
    assessment = approved_assessment(personas.patient, household_size=3, income="34157.43")
    pages = [
        "/admin/billing/slidingscaleassessment/",
        f"/admin/billing/slidingscaleassessment/{assessment.pk}/change/",
        f"/admin/billing/slidingscaleassessment/{assessment.pk}/history/",
        "/admin/billing/assessmenttransition/",
    ]
    for url in pages:
        response = superuser_admin.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "34157" not in page and "34,157" not in page, url
        assert str(assessment.percent_of_guideline) not in page, url
        assert "Annual income" not in page and "Household size" not in page, url
