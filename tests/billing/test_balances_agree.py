"""A patient's balance is one figure: billing's list of balances, the account page, the portal's billing page and
home card, and the API all read it from the ledger selector, and each says a credit is a credit."""

import pytest

from apps.billing.selectors.ledger import patient_balance, patients_with_balances
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import adjustment_post, adjustment_reverse, payment_record, payment_refund
from tests.factories import PatientFactory

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(personas, fee_config):
    """One patient owes after every kind of ledger row; the other holds a credit; a third has no ledger at all."""
    owing = personas.patient
    charge_for_appointment_outcome(appointment=past_appointment(owing, service_type=fee_config["90834"]), actor=None)
    check = payment_record(actor=personas.front_desk, patient=owing, method="check", amount="50", reference="1")
    payment_refund(actor=personas.billing, payment=check, amount="20", reason="Paid twice")
    adjustment_post(actor=personas.billing, patient=owing, kind="write_off", amount="25", reason="Hardship")
    courtesy = adjustment_post(actor=personas.billing, patient=owing, kind="courtesy", amount="10", reason="Wait")
    adjustment_reverse(actor=personas.billing, adjustment=courtesy, reason="Posted in error")
    in_credit = personas.other_patient
    payment_record(actor=personas.front_desk, patient=in_credit, method="cash", amount="75", credit_on_account=True)
    return {"owing": owing, "in_credit": in_credit, "untouched": PatientFactory()}


def test_the_list_of_balances_has_each_patients_ledger_balance_and_only_patients_with_a_ledger(personas, accounts):
    rows = {row["patient"].pk: row["balance"] for row in patients_with_balances(user=personas.billing)}
    assert rows == {
        accounts["owing"].pk: patient_balance(patient=accounts["owing"]),
        accounts["in_credit"].pk: patient_balance(patient=accounts["in_credit"]),
    }
    assert list(rows.values()) == [pytest.approx(145), pytest.approx(-75)]  # 200 − 50 + 20 − 25 − 10 + 10; a credit


def test_billing_home_says_a_credit_is_a_credit_as_the_account_page_does(personas, accounts, login):
    client = login(personas.billing)
    home = client.get("/billing/").content.decode()
    assert "$75.00 credit on account" in home and "−$75.00" not in home
    assert "$145.00 owed" in home
    for patient, words in ((accounts["owing"], "$145.00 owed"), (accounts["in_credit"], "$75.00 credit on account")):
        assert words in client.get(f"/billing/patients/{patient.pk}/").content.decode()


@pytest.mark.parametrize(
    ("who", "user", "words"),
    [("owing", "patient_user", "$145.00 owed"), ("in_credit", "other_patient_user", "$75.00 credit on account")],
)
def test_the_portal_and_the_api_give_the_balance_billing_sees(personas, accounts, login, who, user, words):
    patient = accounts[who]
    portal = login(getattr(personas, user))
    assert words in portal.get("/portal/billing/").content.decode()
    assert words in portal.get("/portal/").content.decode()
    answer = login(personas.billing, api=True).get(f"/api/billing/balances/{patient.pk}/")
    assert answer.json()["balance"] == str(patient_balance(patient=patient))
    [row] = [row for row in patients_with_balances(user=personas.billing) if row["patient"] == patient]
    assert row["balance"] == patient_balance(patient=patient)
