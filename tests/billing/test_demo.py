import datetime as dt
import io
from importlib import import_module

import pytest
from django.core.management import call_command

from apps.billing.models import Charge, FeeSchedule, PovertyGuideline, SlidingScaleAssessment
from apps.billing.selectors.ledger import ledger_lines, statement_balances
from apps.billing.selectors.reports import ar_aging
from apps.core import clock
from apps.patients.demo import PORTAL_PATIENT_EMAIL
from apps.patients.models import Patient

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


def _last_full_month() -> tuple[dt.date, dt.date]:
    end = clock.local_now().date().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def test_the_demo_ledger_tells_one_story_in_the_statement_the_account_and_the_aging_report():
    """Each demo charge is posted when the product would have posted it (the session's outcome recorded as it
    ended, a package sold at its first visit), not on the day the seed ran: so last month's statement of a demo
    patient closes at the balance their account shows for the sessions up to that month's end, and the aging
    report ages October's sessions past 30 days."""
    call_command("seed_demo", stdout=io.StringIO())
    charges = Charge.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Charge.objects.count() == charges, "seeding again posts nothing"

    tz = clock.clinic_tz()
    assert {(c.posted_at.astimezone(tz).date() == c.service_date) for c in Charge.objects.all()} == {True}

    start, end = _last_full_month()
    patient = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
    account_by_month_end = sum(line.amount for line in ledger_lines(patient=patient) if line.date <= end)
    statement = statement_balances(patients=Patient.objects.filter(pk=patient.pk), start=start, end=end).get()
    statement_lines = ledger_lines(patient=patient, start=start, end=end)
    assert account_by_month_end > 0 and statement.charged_in_period
    assert statement.closing_balance == account_by_month_end
    assert statement.opening_balance + sum(line.amount for line in statement_lines) == statement.closing_balance

    aging = ar_aging(as_of=clock.local_now().date())
    assert aging["totals"]["0-30"] > 0
    assert aging["total"] > aging["totals"]["0-30"], "older sessions age past 30 days"
