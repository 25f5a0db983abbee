import datetime as dt
import io
from collections import Counter
from importlib import import_module

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apps.billing.models import (
    Charge,
    CheckoutSession,
    FeeSchedule,
    Payment,
    PaymentPlan,
    PovertyGuideline,
    SlidingScaleAssessment,
)
from apps.billing.selectors.ledger import ledger_lines, patient_balance, statement_balances, statement_body
from apps.billing.selectors.reports import ar_aging
from apps.billing.services.statements import statement_issue
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


def test_the_demo_assessments_were_applied_for_and_reviewed_on_past_days():
    """Each approved demo assessment was reviewed on the day its class took effect, days after the patient applied;
    the waiting ones came in during the past week. None is dated on the day the seed ran."""
    _seed()
    tz, today = clock.clinic_tz(), clock.local_now().date()
    for assessment in SlidingScaleAssessment.objects.prefetch_related("transitions"):
        applied = assessment.transitions.get(from_status="").at.astimezone(tz).date()
        if assessment.status == "pending":
            assert today - dt.timedelta(days=7) <= applied < today
            continue
        assert assessment.reviewed_at.astimezone(tz).date() == assessment.effective_from < today
        assert assessment.transitions.get(to_status="approved").at == assessment.reviewed_at
        assert applied < assessment.effective_from


def _last_full_month() -> tuple[dt.date, dt.date]:
    end = clock.local_now().date().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def test_the_demo_ledger_tells_one_story_in_the_statement_the_account_and_the_aging_report():
    """Each demo charge is posted when the product would have posted it (the session's outcome recorded as it
    ended, a package sold at its first visit), not on the day the seed ran: so last month's statement of a demo
    patient shows at that month's end the balance their account shows for the sessions up to then, and the aging
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
    statement = statement_issue(actor=None, patient=patient, year=start.year, month=start.month)
    body = statement_body(statement=statement)
    assert account_by_month_end > 0 and any(line.kind == "charge" for line in body.lines)
    assert body.balance_at_period_end == account_by_month_end
    assert statement.opening_balance + sum(line.amount for line in body.lines) == body.balance_at_period_end
    assert statement.closing_balance == statement.balance_at_issue == patient_balance(patient=patient)

    aging = ar_aging(as_of=clock.local_now().date())
    assert aging["totals"]["0-30"] > 0
    assert aging["total"] > aging["totals"]["0-30"], "older sessions age past 30 days"


def _account_story(patient, now: dt.datetime) -> str:
    """Whether the patient has paid up for their sessions up to a week ago ("paid"), paid some of it ("part") or
    nothing at all ("owes"), after checking each payment came after what it paid for and not after now: at no
    payment had the patient paid more than they had been charged by then."""
    charges = [(c.posted_at, c.amount) for c in Charge.objects.filter(patient=patient)]
    payments = [(p.received_at, p.amount) for p in Payment.objects.filter(patient=patient)]
    for received_at, _ in payments:
        assert received_at <= now, "a payment in the future"
        charged = sum(amount for posted_at, amount in charges if posted_at <= received_at)
        paid = sum(amount for at, amount in payments if at <= received_at)
        assert paid <= charged, "a payment made before the session it paid for"
    if not payments:
        return "owes"
    week_ago = now - dt.timedelta(days=7)
    charged_by_last_week = sum(amount for posted_at, amount in charges if posted_at <= week_ago)
    return "paid" if sum(amount for _, amount in payments) >= charged_by_last_week else "part"


def test_the_demo_clinic_was_paid_as_a_clinic_is_paid():
    """Most demo patients paid for their sessions on the day or soon after, some paid part, a few owe, one pays by
    instalments; receipts are dated on or after the sessions, never after now, by card, cash and check. Every
    patient's balance (what the account page, the portal and statements show) is the sum of their ledger."""
    call_command("seed_demo", stdout=io.StringIO())
    payments = Payment.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Payment.objects.count() == payments, "seeding again pays nothing"

    now = timezone.now()
    today = clock.local_now().date()
    patients = Patient.objects.filter(email__endswith="@clinic.test", charges__amount__gt=0).distinct()
    stories = Counter()
    for patient in patients:
        stories[_account_story(patient, now)] += 1
        balance = patient_balance(patient=patient)
        assert balance == sum(line.amount for line in ledger_lines(patient=patient)) >= 0
        statement = statement_balances(
            patients=Patient.objects.filter(pk=patient.pk), start=today, end=today, issued_at=clock.now()
        ).get()
        assert statement.closing_balance == statement.balance_at_issue == balance
    assert stories["paid"] > sum(stories.values()) / 2, stories
    assert stories["part"] >= 3 and stories["owes"] >= 2, stories
    assert set(Payment.objects.values_list("method", flat=True)) >= {"cash", "check", "card_present"}
    assert PaymentPlan.objects.filter(payments__isnull=False).exists(), "a plan with instalments paid"
    portal_patient = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
    assert Payment.objects.filter(patient=portal_patient).exists() and patient_balance(patient=portal_patient) > 0


def test_where_the_portal_takes_cards_the_demo_patients_paid_there(settings):
    """With the local demo's stand-in for the card provider, card payments made away from the desk went through the
    portal's checkout and the provider's completion event, as a patient's would: each checkout paid once, dated
    after the session and not after now."""
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"
    call_command("seed_demo", stdout=io.StringIO())
    online = Payment.objects.filter(method="card_online")
    assert online.exists() and set(online.values_list("provider", flat=True)) == {"sandbox"}
    assert set(CheckoutSession.objects.values_list("status", flat=True)) == {"paid"}
    assert CheckoutSession.objects.count() == online.count()
    now = timezone.now()
    for patient in Patient.objects.filter(payments__in=online).distinct():
        assert _account_story(patient, now) in {"paid", "part"}


def _sessions_seed() -> None:
    out = io.StringIO()
    for module in ("accounts.demo", "scheduling.demo", "patients.demo", "billing.demo"):
        import_module(f"apps.{module}").seed(out)
    import_module("apps.scheduling.demo_appointments").seed(out)
    import_module("apps.billing.demo_payments").seed(out)


def test_the_demo_run_again_later_is_paid_for_as_the_patients_paid_before():
    """Seeded seventeen days ago and run again now: the sessions held since are charged, and the patients who paid
    for theirs pay for these too, as they did (in full or in part, on the day or a few days on); the plans'
    instalments due since are paid. A run again at the same instant pays nothing more."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=17), tick=True):
        _sessions_seed()
        first = timezone.now()
        patients = Patient.objects.filter(email__endswith="@clinic.test", charges__amount__gt=0).distinct()
        stories = {patient: _account_story(patient, first) for patient in patients}
    on_plans = set(PaymentPlan.objects.values_list("patient_id", flat=True))
    instalments_paid = Payment.objects.filter(plan__isnull=False).count()

    _sessions_seed()
    now = timezone.now()
    payments = Payment.objects.count()
    _sessions_seed()
    assert Payment.objects.count() == payments, "a run again at the same instant pays nothing"

    since = Charge.objects.filter(posted_at__gt=first, posted_at__lte=now - dt.timedelta(days=7), amount__gt=0)
    payers = [patient for patient, story in stories.items() if story == "paid" and patient.pk not in on_plans]
    assert since.filter(patient__in=payers).exists(), "sessions held and charged between the runs"
    assert {patient.email: _account_story(patient, now) for patient in payers} == {p.email: "paid" for p in payers}
    part = [patient for patient, story in stories.items() if story == "part"]
    assert Payment.objects.filter(patient__in=part, received_at__gt=first).exists()
    assert Payment.objects.filter(plan__isnull=False).count() > instalments_paid, "instalments came due between"
