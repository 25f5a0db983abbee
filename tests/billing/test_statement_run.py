"""The monthly statement run: set-based, a constant number of queries per chunk of patients, idempotent per patient
and month (also when two runs overlap), and issuing exactly what the single-patient statement issues."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.billing.models import Charge, Statement
from apps.billing.services.payments import adjustment_post, payment_record
from apps.billing.services.plans import payment_plan_create
from apps.billing.services.statements import statement_issue, statements_issue_for_month
from apps.core import clock
from apps.notifications.models import Message
from bench import floors
from tests.factories import PatientFactory
from tests.locking import at_once

pytestmark = pytest.mark.django_db

MARCH = "2026-03-02 09:00:00-05:00"  # February has ended; January and February can be issued


def _charge(patients, *, on: dt.date, amount: str, service_type, posted_on: dt.date | None = None) -> None:
    """A session charge for each patient on a day (written as the ledger stores it, without the booking), posted
    that evening or on `posted_on` (a note signed days later)."""
    Charge.objects.bulk_create(
        Charge(
            patient=patient,
            kind="session",
            service_type=service_type,
            service_date=on,
            description="Individual psychotherapy",
            full_fee=Decimal("200.00"),
            amount=Decimal(amount),
            class_code="A",
            class_label="Full fee",
            posted_at=clock.local_datetime(posted_on or on, dt.time(17, 0)),
        )
        for patient in patients
    )


def _signed_late(patient, fee_config) -> None:
    """A $200 session on January 31 whose note is signed, and so charged, on February 2."""
    _charge(
        [patient],
        on=dt.date(2026, 1, 31),
        amount="200",
        service_type=fee_config["90834"],
        posted_on=dt.date(2026, 2, 2),
    )


def _pay(patient, *, at: str, amount: str, actor, **extra):
    with time_machine.travel(at, tick=False):
        return payment_record(actor=actor, patient=patient, method="cash", amount=amount, **extra)


def _history(patient, personas, service_type):
    """January: a $200 session. February: a $40 session, $100 paid, a $25 write-off. Opening 200, closing 115."""
    _charge([patient], on=dt.date(2026, 1, 14), amount="200", service_type=service_type)
    _charge([patient], on=dt.date(2026, 2, 11), amount="40", service_type=service_type)
    _pay(patient, at="2026-02-12 10:00:00-05:00", amount="100", actor=personas.front_desk)
    with time_machine.travel("2026-02-28 23:30:00-05:00", tick=False):  # late on the last day: still February
        adjustment_post(actor=personas.billing, patient=patient, kind="write_off", amount="25", reason="Hardship")


def _issue(year=2026, month=2, **extra) -> int:
    with time_machine.travel(MARCH, tick=False):
        return statements_issue_for_month(actor=None, year=year, month=month, **extra)


def test_the_run_issues_the_same_statement_and_email_as_the_single_issue(personas, fee_config):
    single, batched = PatientFactory(preferred_name="Sam"), PatientFactory(preferred_name="Sam")
    for patient in (single, batched):
        _history(patient, personas, fee_config["90834"])
    with time_machine.travel(MARCH, tick=False):
        by_hand = statement_issue(actor=personas.billing, patient=single, year=2026, month=2)
    assert _issue() == 1
    by_run = Statement.objects.get(patient=batched)

    def content(statement):
        return (
            statement.period_start,
            statement.period_end,
            statement.opening_balance,
            statement.closing_balance,
            statement.issued_at,
        )

    assert (
        content(by_hand)
        == content(by_run)
        == (
            dt.date(2026, 2, 1),
            dt.date(2026, 2, 28),
            Decimal("200.00"),
            Decimal("115.00"),
            by_hand.issued_at,
        )
    )

    def notice(statement):
        message = Message.objects.get(subject_type="billing.statement", subject_id=str(statement.pk))
        assert message.dedupe_key == f"statement:{statement.pk}:ready"
        assert message.to_address == statement.patient.email
        assert message.context.pop("statement_url").endswith(f"/portal/billing/statements/{statement.pk}/")
        return (message.channel, message.purpose, message.template, message.status, message.send_at, message.context)

    assert notice(by_hand) == notice(by_run)
    assert notice(by_run)[-1] == {
        "patient_first_name": "Sam",
        "period": "February 2026",
        "period_start": "2026-02-01",
        "amount_due": "115.00",
        "pay_by": "2026-04-01",
        "asks_for": "balance",
    }


def test_the_number_of_queries_does_not_grow_with_the_number_of_patients(fee_config):
    service_type = fee_config["90834"]
    _charge(PatientFactory.create_batch(5), on=dt.date(2026, 1, 20), amount="60", service_type=service_type)
    with CaptureQueriesContext(connection) as five:
        assert _issue(month=1) == 5
    # February: the five still owe (no activity), and 45 more had a session.
    _charge(PatientFactory.create_batch(45), on=dt.date(2026, 2, 3), amount="60", service_type=service_type)
    with CaptureQueriesContext(connection) as fifty:
        assert _issue(month=2) == 50
    assert len(fifty) == len(five) <= 8
    assert Message.objects.filter(purpose="statement_ready").count() == 55


@pytest.mark.parametrize("chunk", [1, 2, 5, 1000])
def test_every_chunk_size_issues_each_patient_once(fee_config, chunk):
    patients = PatientFactory.create_batch(5)
    _charge(patients, on=dt.date(2026, 2, 3), amount="60", service_type=fee_config["90834"])
    assert _issue(chunk=chunk) == 5
    assert sorted(Statement.objects.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)


def test_a_second_run_issues_and_queues_nothing(personas, fee_config):
    _charge(PatientFactory.create_batch(3), on=dt.date(2026, 2, 3), amount="60", service_type=fee_config["90834"])
    assert _issue() == 3
    before = (Statement.objects.count(), Message.objects.count())
    assert _issue() == 0
    assert (Statement.objects.count(), Message.objects.count()) == before


def test_who_gets_a_statement(personas, fee_config):
    """A balance at the month's end or activity in it earns a statement; a settled, quiet account does not."""
    service_type = fee_config["90834"]
    settled_earlier, settled_this_month, credit, owing_no_email, untouched = PatientFactory.create_batch(5)
    owing_no_email.email = ""
    owing_no_email.save()
    _charge(
        [settled_earlier, settled_this_month, owing_no_email],
        on=dt.date(2026, 1, 5),
        amount="50",
        service_type=service_type,
    )
    _pay(settled_earlier, at="2026-01-06 10:00:00-05:00", amount="50", actor=personas.front_desk)
    _pay(settled_this_month, at="2026-02-06 10:00:00-05:00", amount="50", actor=personas.front_desk)
    _pay(credit, at="2026-01-07 10:00:00-05:00", amount="30", actor=personas.front_desk, credit_on_account=True)
    assert _issue() == 3
    issued = dict(Statement.objects.values_list("patient_id", "closing_balance"))
    assert issued == {
        settled_this_month.pk: Decimal("0.00"),
        credit.pk: Decimal("-30.00"),
        owing_no_email.pk: Decimal("50.00"),
    }
    assert sorted(Message.objects.filter(purpose="statement_ready").values_list("patient_id", flat=True)) == sorted(
        [settled_this_month.pk, credit.pk]
    )
    assert not Statement.objects.filter(patient__in=[settled_earlier, untouched]).exists()


def test_a_month_not_yet_over_is_refused():
    from apps.core.errors import Unprocessable

    with pytest.raises(Unprocessable):
        _issue(month=3)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_issue_each_statement_once(fee_config):
    patients = PatientFactory.create_batch(30)
    _charge(patients, on=dt.date(2026, 2, 3), amount="60", service_type=fee_config["90834"])

    def run():
        return statements_issue_for_month(actor=None, year=2026, month=2, chunk=7)

    with time_machine.travel(MARCH, tick=False):  # the clock is process-wide: set once for both threads
        results = at_once(run, run)
    assert sum(results) == 30, results
    assert Statement.objects.count() == 30
    assert Message.objects.filter(purpose="statement_ready").count() == 30


def _written():
    issued = Statement.objects.all()
    statements = {
        s.pk: (
            s.patient_id,
            s.period_start,
            s.period_end,
            s.opening_balance,
            s.closing_balance,
            s.balance_at_issue,
            s.instalment_due,
            s.instalment_due_on,
            s.counted,
            s.opens_after,
        )
        for s in issued
    }
    issued_on = {s.pk: s.issued_on for s in issued}

    def sent(message):
        context = message.context
        context["statement_url"] = context["statement_url"].rsplit("/", 2)[0]  # the ids differ; the link does not
        if context["asks_for"] != "instalment":  # the floor issues on the database's clock, not the test's
            days = (dt.date.fromisoformat(context["pay_by"]) - issued_on[int(message.subject_id)]).days
            context["pay_by"] = f"{days} days after issue"
        return context

    messages = sorted(
        (statements[int(m.subject_id)], m.dedupe_key == f"statement:{m.subject_id}:ready", m.to_address, sent(m))
        for m in Message.objects.filter(purpose="statement_ready")
    )
    return sorted(statements.values()), messages


def test_the_benchmarks_sql_floor_writes_what_the_run_writes(personas, fee_config):
    service_type = fee_config["90834"]
    _history(PatientFactory(), personas, service_type)
    owing_no_email, settled, credit = PatientFactory.create_batch(3)
    owing_no_email.email = ""
    owing_no_email.save()
    _charge([owing_no_email, settled], on=dt.date(2026, 1, 5), amount="50", service_type=service_type)
    _pay(settled, at="2026-01-06 10:00:00-05:00", amount="50", actor=personas.front_desk)
    _pay(credit, at="2026-02-07 10:00:00-05:00", amount="30", actor=personas.front_desk, credit_on_account=True)
    _on_a_plan(PatientFactory(), personas, service_type)
    params = floors.statement_params(
        tz=str(clock.clinic_tz()),
        start=dt.date(2026, 2, 1),
        end=dt.date(2026, 2, 28),
        site=settings.SITE_URL,
        due_days=settings.CLINIC_STATEMENT_DUE_DAYS,
        issued_at=clock.now(),
    )
    with transaction.atomic():
        savepoint = transaction.savepoint()
        with connection.cursor() as cursor:
            cursor.execute(floors.STATEMENTS, params)
        by_floor = _written()
        transaction.savepoint_rollback(savepoint)
    assert Statement.objects.count() == 0
    assert _issue() == 4
    assert _written() == by_floor
    assert len(by_floor[0]) == 4 and len(by_floor[1]) == 3
    assert (Decimal("230.00"), Decimal("50.00"), dt.date(2026, 3, 10)) in [row[5:8] for row in by_floor[0]]


def _on_a_plan(patient, personas, service_type):
    """$300 charged in February (two sessions) and put on a plan of three $100 instalments from March 10; $50 paid
    against it in February, and $20 paid outside it on March 1: owing $230 when March's run issues, $50 left of the
    first instalment."""
    _charge([patient], on=dt.date(2026, 2, 10), amount="200", service_type=service_type)
    _charge([patient], on=dt.date(2026, 2, 17), amount="100", service_type=service_type)
    with time_machine.travel("2026-02-20 10:00:00-05:00", tick=False):
        plan = payment_plan_create(
            actor=personas.billing, patient=patient, instalments=3, first_due=dt.date(2026, 3, 10)
        )
    _pay(patient, at="2026-02-25 10:00:00-05:00", amount="50", actor=personas.front_desk, plan=plan)
    _pay(patient, at="2026-03-01 10:00:00-05:00", amount="20", actor=personas.front_desk)


def test_a_charge_posted_after_its_month_was_issued_goes_on_the_next_statement(personas, fee_config):
    """A session on January 31 whose note is signed on February 2, after January's statement went out: January's
    statement stays as issued, and February's opens where it closed and carries the charge as a line."""
    from apps.billing.selectors.ledger import statement_lines

    patient = personas.patient
    _charge([patient], on=dt.date(2026, 1, 14), amount="80", service_type=fee_config["90834"])
    with time_machine.travel("2026-02-01 08:00:00-05:00", tick=False):
        january = statement_issue(actor=personas.billing, patient=patient, year=2026, month=1)
    _signed_late(patient, fee_config)
    with time_machine.travel(MARCH, tick=False):
        february = statement_issue(actor=personas.billing, patient=patient, year=2026, month=2)

    def lines_sum(statement):
        return sum((line.amount for line in statement_lines(statement=statement)), Decimal(0))

    assert (january.opening_balance, january.closing_balance) == (Decimal("0"), Decimal("80.00"))
    assert lines_sum(january) == january.closing_balance - january.opening_balance
    assert february.opening_balance == january.closing_balance
    assert february.closing_balance == Decimal("280.00")
    assert [(line.date, line.amount) for line in statement_lines(statement=february)] == [
        (dt.date(2026, 1, 31), Decimal("200.00"))
    ]
    with time_machine.travel(MARCH, tick=False):
        assert statements_issue_for_month(actor=None, year=2026, month=2) == 0  # the run agrees: already issued


def test_a_statement_issued_when_charges_counted_by_session_date_keeps_reading_so(personas, fee_config):
    """Issued (on February 1) before statements counted what was posted: its lines are the charges it was issued
    with, by session date, and still add up to its stored balances; a January session signed on February 2 is not
    among them (it is on February's statement, by posting date)."""
    from apps.billing.models import StatementCounting
    from apps.billing.selectors.ledger import statement_lines

    patient = personas.patient
    _charge([patient], on=dt.date(2026, 1, 14), amount="80", service_type=fee_config["90834"])
    january = Statement.objects.create(
        patient=patient,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        opening_balance=Decimal("0"),
        closing_balance=Decimal("80.00"),
        balance_at_issue=Decimal("80.00"),
        issued_at=clock.local_datetime(dt.date(2026, 2, 1), dt.time(8, 0)),
        counted=StatementCounting.SESSION_DATE,
    )
    _signed_late(patient, fee_config)
    lines = statement_lines(statement=january)
    assert [line.amount for line in lines] == [Decimal("80.00")]
    assert sum(line.amount for line in lines) == january.closing_balance - january.opening_balance
