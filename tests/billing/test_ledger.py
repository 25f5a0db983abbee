"""The ledger is append-only in the database; corrections are reversing rows and the balance stays exact."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from apps.billing.models import Adjustment, Charge, Payment, PlanStatus, Statement
from apps.billing.selectors.ledger import patient_balance
from apps.billing.selectors.plans import plan_progress
from apps.billing.selectors.reports import ar_aging, sliding_scale_report
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import adjustment_post, adjustment_reverse, payment_record, payment_refund
from apps.billing.services.plans import payment_plan_cancel, payment_plan_create
from apps.billing.services.statements import statement_issue
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(personas, fee_config):
    with time_machine.travel("2026-03-09 12:00:00-04:00", tick=False):
        charge = charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
        )
        payment = payment_record(
            actor=personas.front_desk, patient=personas.patient, method="check", amount="50", reference="1042"
        )
        adjustment = adjustment_post(
            actor=personas.billing, patient=personas.patient, kind="write_off", amount="25", reason="Hardship"
        )
        statement_issue(actor=personas.billing, patient=personas.patient, year=2026, month=2)
    return {"charge": charge, "payment": payment, "adjustment": adjustment, "patient": personas.patient}


def _refused(sql, params):
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("model", [Charge, Payment, Adjustment, Statement])
def test_posted_rows_cannot_be_updated_or_deleted_even_with_raw_sql(ledger, model):
    row = model.objects.first()
    table = model._meta.db_table
    column = "closing_balance" if model is Statement else "amount"
    _refused(f"UPDATE {table} SET {column} = 0 WHERE id = %s", [row.pk])
    _refused(f"DELETE FROM {table} WHERE id = %s", [row.pk])
    assert model.objects.filter(pk=row.pk).exists()


def test_orm_updates_are_refused_too(ledger):
    with pytest.raises(DatabaseError), transaction.atomic():
        Charge.objects.filter(pk=ledger["charge"].pk).update(amount=Decimal("1.00"))
    ledger["charge"].refresh_from_db()
    assert ledger["charge"].amount == Decimal("200.00")


def test_a_reversed_adjustment_is_a_new_row_and_restores_the_balance(ledger, personas):
    assert patient_balance(patient=ledger["patient"]) == Decimal("125.00")
    reversal = adjustment_reverse(actor=personas.billing, adjustment=ledger["adjustment"], reason="Posted in error")
    assert (reversal.amount, reversal.reverses_id, reversal.kind) == (
        Decimal("-25.00"),
        ledger["adjustment"].pk,
        "correction",
    )
    assert patient_balance(patient=ledger["patient"]) == Decimal("150.00")
    with pytest.raises(Conflict):
        adjustment_reverse(actor=personas.billing, adjustment=ledger["adjustment"], reason="Again")
    with pytest.raises(InvalidTransition):
        adjustment_reverse(actor=personas.billing, adjustment=reversal, reason="Undo the undo")


def test_a_wrong_charge_is_corrected_with_a_correction_row(ledger, personas):
    # The session was pro bono, but $50 was paid on it and $25 written off: the balance is $125.
    def correct(amount):
        return adjustment_post(
            actor=personas.billing,
            patient=ledger["patient"],
            kind="correction",
            amount=amount,
            reason="Session was pro bono",
            charge=ledger["charge"],
        )

    with pytest.raises(Unprocessable, match="more than the balance"):
        correct("175")  # would leave the patient $50 in credit: the payment is refunded instead
    payment_refund(actor=personas.billing, payment=ledger["payment"], amount="50", reason="Pro bono")
    correct("175")
    assert patient_balance(patient=ledger["patient"]) == Decimal("0.00")
    with pytest.raises(Unprocessable, match=r"more than the charge: \$25.00 of it is left"):
        correct("25.01")


def test_a_refund_is_a_reversing_payment_row_and_cannot_exceed_the_payment(ledger, personas):
    refund = payment_refund(actor=personas.billing, payment=ledger["payment"], amount="20", reason="Overpaid")
    assert (refund.amount, refund.refund_of_id) == (Decimal("-20.00"), ledger["payment"].pk)
    assert patient_balance(patient=ledger["patient"]) == Decimal("145.00")
    with pytest.raises(Unprocessable, match="more than is left"):
        payment_refund(actor=personas.billing, payment=ledger["payment"], amount="30.01", reason="Again")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "cash", "amount": "0"}, "amount"),
        ({"method": "cash", "amount": "-5"}, "amount"),
        ({"method": "check", "amount": "10"}, "reference"),
        ({"method": "card_online", "amount": "10"}, "method"),
    ],
)
def test_bad_payments_are_refused_with_a_field_message(ledger, personas, kwargs, field):
    with pytest.raises(Unprocessable) as caught:
        payment_record(actor=personas.front_desk, patient=ledger["patient"], **kwargs)
    assert field in caught.value.fields


def test_receipts_are_numbered_uniquely(ledger, personas):
    second = payment_record(actor=personas.front_desk, patient=ledger["patient"], method="cash", amount="5")
    assert second.receipt_number != ledger["payment"].receipt_number
    assert second.receipt_number.startswith("R")


def test_a_payment_plan_splits_the_balance_into_instalments(ledger, personas):
    with time_machine.travel("2026-03-10 12:00:00-04:00", tick=False):
        plan = payment_plan_create(
            actor=personas.front_desk, patient=ledger["patient"], instalments=3, first_due=dt.date(2026, 4, 1)
        )
        amounts = [i.amount for i in plan.instalments.all()]
        assert amounts == [Decimal("41.66"), Decimal("41.66"), Decimal("41.68")]
        assert sum(amounts) == Decimal("125.00")
        payment_record(actor=personas.front_desk, patient=ledger["patient"], method="cash", amount="50", plan=plan)
        progress = plan_progress(plan=plan)
        with pytest.raises(Conflict):
            payment_plan_create(
                actor=personas.front_desk,
                patient=ledger["patient"],
                instalments=2,
                first_due=dt.date(2026, 4, 1),
                total="10",
            )
    assert [row["status"] for row in progress] == ["paid", "due", "due"]
    assert progress[1]["covered"] == Decimal("8.34")
    assert payment_plan_cancel(actor=personas.billing, plan=plan).status == PlanStatus.CANCELLED


def test_a_plan_cannot_cover_more_than_is_owed(ledger, personas):
    with pytest.raises(Unprocessable, match="covers some or all of a balance"):
        payment_plan_create(
            actor=personas.front_desk,
            patient=ledger["patient"],
            instalments=2,
            first_due=clock.local_now().date(),
            total="500",
        )


def test_aging_puts_unpaid_charges_in_buckets_oldest_paid_first(personas, fee_config):
    patient = personas.patient
    for days in (10, 45, 75, 120):  # each session charged the day it was held: a charge ages from its posting
        with time_machine.travel(
            dt.datetime(2026, 6, 30, 18, tzinfo=clock.clinic_tz()) - dt.timedelta(days=days), tick=False
        ):
            charge_for_appointment_outcome(
                appointment=past_appointment(patient, service_type=fee_config["90834"], days_ago=0), actor=None
            )
    with time_machine.travel("2026-06-30 12:00:00-04:00", tick=False):
        payment_record(actor=personas.front_desk, patient=patient, method="cash", amount="250")
        report = ar_aging(as_of=dt.date(2026, 6, 30))
    (row,) = report["rows"]
    assert row["buckets"] == {
        "0-30": Decimal("200.00"),
        "31-60": Decimal("200.00"),
        "61-90": Decimal("150.00"),
        "90+": Decimal("0.00"),
    }
    assert report["total"] == Decimal("550.00")


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01"])
def test_an_aging_report_as_of_a_mistyped_year_says_so_and_shows_today(personas, fee_config, login, as_of):
    with time_machine.travel("2026-06-30 12:00:00-04:00", tick=False):
        page = login(personas.billing).get("/billing/reports/aging/", {"as_of": as_of})
    assert page.status_code == 422 and 'id="error-summary"' in page.content.decode()
    assert f'value="{as_of}"' in page.content.decode()  # what was typed stays in the field
    assert page.context["report"]["as_of"] == dt.date(2026, 6, 30)
    assert "As of: Choose a date from June 30, 1926 to June 30, 2036." in page.content.decode()


@pytest.mark.parametrize("path", ["/billing/reports/sliding-scale/", "/billing/reports/sliding-scale.csv"])
def test_a_report_period_in_a_mistyped_year_answers_422_with_the_form(personas, fee_config, login, path):
    response = login(personas.billing).get(path, {"start": "2026-01-01", "end": "9999-12-31"})
    assert response.status_code == 422
    assert "Choose a date from" in response.content.decode()


def test_a_superbill_for_a_period_in_a_mistyped_year_is_refused_422_on_the_portal_billing_page_as_typed(
    personas, fee_config, login
):
    page = login(personas.patient_user).get("/portal/billing/superbill/", {"start": "0001-01-01", "end": "9999-12-31"})
    body = html.unescape(page.content.decode())
    assert page.status_code == 422 and page["Content-Type"].startswith("text/html")
    assert 'id="error-summary"' in body and "No superbill was made: choose a valid period." in body
    assert 'href="#id_start"' in body  # the summary points at the first date to fix, which has the focus
    assert re.search(r'<input[^>]*name="start"[^>]*value="0001-01-01"[^>]*autofocus', body)
    assert 'name="end" value="9999-12-31"' in body


def test_sliding_scale_report_totals_discounts_per_class_and_therapist(personas, fee_config):
    from .helpers import approved_assessment

    with time_machine.travel("2026-03-09 12:00:00-04:00", tick=False):
        approved_assessment(personas.patient, household_size=1, income="10000")
        for days in (1, 2):
            charge_for_appointment_outcome(
                appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days),
                actor=None,
            )
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.other_patient, service_type=fee_config["90834"], days_ago=1),
            actor=None,
        )
    report = sliding_scale_report(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    by_class = {row["class_code"]: row for row in report["by_class"]}
    assert (by_class["A"]["patients"], by_class["A"]["charges"], by_class["A"]["discount"]) == (1, 2, Decimal("360.00"))
    assert by_class["FULL"]["discount"] == Decimal("0.00")
    assert report["total_discount"] == Decimal("360.00")
    therapist_rows = {(r["therapist"], r["class_code"]): r["discount"] for r in report["by_therapist"]}
    assert therapist_rows[(personas.therapist.pk, "A")] == Decimal("360.00")


def test_a_package_sold_is_reported_under_no_therapist_on_the_page_and_in_the_csv(personas, fee_config, login):
    from apps.billing.models import PackageOffering
    from apps.billing.services.packages import package_purchase

    from .helpers import approved_assessment

    approved_assessment(personas.patient, household_size=1, income="10000")
    offering = PackageOffering.objects.create(
        name="Ten sessions", service_type=fee_config["90834"], session_count=10, full_price=Decimal("1500.00")
    )
    package_purchase(actor=personas.billing, patient=personas.patient, offering=offering)
    today = clock.local_now().date().isoformat()
    client = login(personas.billing)
    page = client.get("/billing/reports/sliding-scale/", {"start": today, "end": today}).content.decode()
    csv = client.get("/billing/reports/sliding-scale.csv", {"start": today, "end": today}).content.decode()
    assert "<td>No therapist (a package sold)</td>" in page and "None" not in page
    assert "No therapist (a package sold)," in csv and "None" not in csv


def test_the_aging_and_sliding_scale_pages_take_a_fixed_number_of_queries(
    personas, fee_config, login, django_assert_max_num_queries
):
    from tests.factories import PatientFactory, TherapistFactory

    for _ in range(6):
        patient = PatientFactory(primary_therapist=TherapistFactory())
        charge_for_appointment_outcome(
            appointment=past_appointment(patient, service_type=fee_config["90834"], days_ago=40), actor=None
        )
    client = login(personas.billing)
    with django_assert_max_num_queries(7):
        aging = client.get("/billing/reports/aging/")
    with django_assert_max_num_queries(7):  # the sixth lists the locations to filter by, the seventh sums per location
        report = client.get("/billing/reports/sliding-scale/")
    assert aging.status_code == report.status_code == 200
    assert aging.content.decode().count("$200.00") >= 6
