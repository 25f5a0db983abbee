"""The ledger refuses the impossible: no adjustment beyond what it adjusts, no payment beyond the balance unless it
is recorded as a credit on account. The services answer 422 with a message; the database refuses the same rows."""

from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apps.billing.models import Adjustment, Payment
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start, provider_event_apply
from apps.billing.services.payments import adjustment_post, payment_record
from apps.billing.services.statements import statement_issue
from apps.core import clock
from apps.core.errors import Unprocessable
from tests.locking import at_once

from .helpers import past_appointment

pytestmark = pytest.mark.django_db

BALANCE = Decimal("1050.00")


def _owe_1050(patient, catalogue):
    """A full-fee patient charged an intake ($250) and four individual sessions ($200): $1,050."""
    charges = [
        charge_for_appointment_outcome(
            appointment=past_appointment(patient, service_type=catalogue[code], days_ago=days), actor=None
        )
        for code, days in (("90791", 40), ("90834", 30), ("90834", 20), ("90834", 10), ("90834", 3))
    ]
    assert patient_balance(patient=patient) == BALANCE
    return charges


@pytest.fixture
def owing(personas, fee_config):
    return _owe_1050(personas.patient, fee_config)


def _unchanged(patient):
    assert patient_balance(patient=patient) == BALANCE
    assert not Adjustment.objects.exists()
    assert not Payment.objects.exists()


# --- adjustments ---------------------------------------------------------------------------------------------------


def test_a_write_off_above_the_balance_is_refused_and_nothing_is_written(owing, personas):
    with pytest.raises(Unprocessable, match=r"more than the balance \(\$1,050.00\)") as refused:
        adjustment_post(
            actor=personas.billing, patient=personas.patient, kind="write_off", amount="100000", reason="Hardship"
        )
    assert "amount" in refused.value.fields
    _unchanged(personas.patient)


def test_an_adjustment_never_credits_more_than_is_left_of_its_charge(owing, personas):
    intake = owing[0]
    adjustment_post(
        actor=personas.billing, patient=personas.patient, kind="courtesy", amount="200", reason="x", charge=intake
    )
    with pytest.raises(Unprocessable, match=r"\$50.00 of it is left"):
        adjustment_post(
            actor=personas.billing, patient=personas.patient, kind="courtesy", amount="50.01", reason="x", charge=intake
        )
    adjustment_post(
        actor=personas.billing, patient=personas.patient, kind="courtesy", amount="50", reason="x", charge=intake
    )
    assert patient_balance(patient=personas.patient) == Decimal("800.00")


def test_the_whole_balance_can_be_written_off_and_no_more(owing, personas):
    adjustment_post(
        actor=personas.billing, patient=personas.patient, kind="write_off", amount="1050", reason="Uncollectable"
    )
    with pytest.raises(Unprocessable, match="more than the balance"):
        adjustment_post(
            actor=personas.billing, patient=personas.patient, kind="write_off", amount="0.01", reason="Again"
        )
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


def test_the_staff_page_explains_a_refused_write_off_and_writes_nothing(owing, personas, login):
    response = login(personas.billing).post(
        f"/billing/patients/{personas.patient.pk}/adjustments/",
        {"kind": "write_off", "amount": "100000", "reason": "Hardship"},
        follow=True,
    )
    assert "cannot be more than the balance ($1,050.00)" in response.content.decode()
    _unchanged(personas.patient)


# --- payments and credit on account --------------------------------------------------------------------------------


def test_a_cash_payment_above_the_balance_is_refused_with_a_message(owing, personas):
    with pytest.raises(Unprocessable, match=r"\$5,000.00 is more than the balance: \$1,050.00 is owed") as refused:
        payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="5000")
    assert set(refused.value.fields) == {"amount", "credit_on_account"}
    _unchanged(personas.patient)


def test_a_payment_kept_as_credit_is_used_up_by_the_next_charges(owing, personas, fee_config):
    payment = payment_record(
        actor=personas.front_desk, patient=personas.patient, method="cash", amount="1250", credit_on_account=True
    )
    assert payment.credit_on_account
    assert patient_balance(patient=personas.patient) == Decimal("-200.00")
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=1), actor=None
    )
    assert patient_balance(patient=personas.patient) == Decimal("0.00")
    # While the patient is in credit nothing more may be credited to them.
    with pytest.raises(Unprocessable, match="nothing is owed"):
        payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="1")


def test_a_payment_within_the_balance_is_never_marked_as_credit(owing, personas):
    payment = payment_record(
        actor=personas.front_desk, patient=personas.patient, method="cash", amount="1050", credit_on_account=True
    )
    assert not payment.credit_on_account


def test_the_statement_shows_the_credit_on_account(personas, fee_config, login):
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _owe_1050(personas.patient, fee_config)
        payment_record(
            actor=personas.front_desk,
            patient=personas.patient,
            method="check",
            amount="1100",
            reference="77",
            credit_on_account=True,
        )
    with time_machine.travel("2026-03-02 12:00:00-05:00", tick=False):
        statement = statement_issue(actor=personas.billing, patient=personas.patient, year=2026, month=2)
        page = login(personas.patient_user).get(f"/portal/billing/statements/{statement.pk}/").content.decode()
    assert statement.closing_balance == Decimal("-50.00")
    assert "$50.00 credit on account" in page
    assert "above the balance: kept as credit on account" in page


def test_the_api_answers_422_for_a_payment_above_the_balance(owing, personas, login):
    client = login(personas.front_desk, api=True)
    body = {"patient": personas.patient.pk, "method": "cash", "amount": "5000.00"}
    refused = client.post("/api/payments/", body, format="json")
    assert refused.status_code == 422
    assert "more than the balance" in refused.json()["error"]["message"]
    _unchanged(personas.patient)
    taken = client.post("/api/payments/", {**body, "credit_on_account": True}, format="json")
    assert taken.status_code == 201 and taken.json()["credit_on_account"] is True
    assert patient_balance(patient=personas.patient) == Decimal("-3950.00")


def test_the_staff_payment_form_refuses_an_overpayment_unless_ticked(owing, personas, login):
    client = login(personas.front_desk)
    url = f"/billing/patients/{personas.patient.pk}/payments/"
    refused = client.post(url, {"method": "cash", "amount": "5000"}, follow=True)
    assert "record the excess as a credit on account" in refused.content.decode()
    _unchanged(personas.patient)
    client.post(url, {"method": "cash", "amount": "5000", "credit_on_account": "on"})
    assert Payment.objects.get().credit_on_account


# --- what the database holds on its own ----------------------------------------------------------------------------


def _raw_adjustment(patient, amount, charge=None):
    return Adjustment.objects.create(
        patient=patient, kind="write_off", amount=Decimal(amount), charge=charge, reason="x", posted_at=clock.now()
    )


def _raw_payment(patient, amount, *, receipt: str, credit=False):
    return Payment.objects.create(
        patient=patient,
        method="cash",
        amount=Decimal(amount),
        received_at=clock.now(),
        receipt_number=receipt,
        credit_on_account=credit,
    )


def test_the_database_refuses_rows_that_bypass_the_services(owing, personas):
    for row in (
        lambda: _raw_adjustment(personas.patient, "100000"),
        lambda: _raw_adjustment(personas.patient, "250.01", charge=owing[0]),
        lambda: _raw_adjustment(personas.other_patient, "1", charge=owing[0]),
        lambda: _raw_payment(personas.patient, "5000", receipt="X1"),
        lambda: Adjustment.objects.create(
            patient=personas.patient, kind="correction", amount=Decimal("-5"), reason="x", posted_at=clock.now()
        ),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            row()
    _unchanged(personas.patient)
    _raw_payment(personas.patient, "5000", receipt="X2", credit=True)
    assert patient_balance(patient=personas.patient) == Decimal("-3950.00")


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_cannot_overpay_together(personas, fee_config):
    _owe_1050(personas.patient, fee_config)

    def pay():
        return payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="600")

    results = at_once(pay, pay)
    assert sorted(type(r).__name__ for r in results) == ["Payment", "Unprocessable"]
    assert patient_balance(patient=personas.patient) == Decimal("450.00")


@pytest.mark.django_db(transaction=True)
def test_two_raw_write_offs_at_once_are_checked_one_after_the_other_by_the_database(personas, fee_config):
    _owe_1050(personas.patient, fee_config)

    def write_off():
        with transaction.atomic():
            return _raw_adjustment(personas.patient, "600")

    results = at_once(write_off, write_off)
    assert sorted(type(r).__name__ for r in results) == ["Adjustment", "IntegrityError"]
    assert patient_balance(patient=personas.patient) == Decimal("450.00")


def test_a_card_payment_settling_after_the_balance_fell_is_kept_as_credit(owing, personas, settings):
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"  # a card checkout of our own making; the event is built below
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient)
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="1050")
    session = {
        "object": "checkout.session",
        "id": checkout.provider_session_id,
        "payment_status": "paid",
        "payment_intent": "pi_after_cash",
        "amount_total": 105000,
    }
    event = {"id": "evt_after_cash", "type": "checkout.session.completed", "data": {"object": session}}
    assert provider_event_apply(provider=checkout.provider, event=event)
    card = Payment.objects.get(method="card_online")
    assert card.credit_on_account
    assert patient_balance(patient=personas.patient) == Decimal("-1050.00")
