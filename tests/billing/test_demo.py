import io
from importlib import import_module

import pytest

from apps.billing.models import FeeSchedule, PovertyGuideline, SlidingScaleAssessment

pytestmark = pytest.mark.django_db


def _seed():
    out = io.StringIO()
    for module in ("apps.accounts.demo", "apps.scheduling.demo", "apps.patients.demo", "apps.billing.demo"):
        import_module(module).seed(out)
    return out.getvalue()


def test_the_demo_billing_data_is_varied_and_seeding_twice_changes_nothing():
    _seed()
    snapshot = sorted(
        SlidingScaleAssessment.objects.values_list("patient__email", "status", "class_code", "override_fee")
    )
    _seed()
    assert (
        sorted(SlidingScaleAssessment.objects.values_list("patient__email", "status", "class_code", "override_fee"))
        == snapshot
    )
    assert set(FeeSchedule.objects.values_list("service_type__code", "full_fee")) == {
        ("90791", 250),
        ("90834", 200),
        ("90837", 200),
        ("90853", 60),
        ("97124", 30),
        ("RLX60", 110),
    }
    assert set(PovertyGuideline.objects.values_list("year", flat=True)) == {2025, 2026}
    assessments = SlidingScaleAssessment.objects.all()
    assert assessments.count() >= 25
    assert {a.household_size for a in assessments} == {1, 2, 3, 4, 5, 6}
    assert assessments.filter(status="pending").count() >= 3
    assert assessments.exclude(override_fee=None).count() == 1
    classes = set(assessments.filter(status="approved", override_fee=None).values_list("class_code", flat=True))
    assert {"A", "F"} <= classes and len(classes) >= 5
