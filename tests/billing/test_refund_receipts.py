"""A refund's receipt says how much went back to the patient as a plain amount: "Refund … $20.00", never "−$20.00",
on the staff receipt, the portal receipt and the portal's list of receipts."""

import re

import pytest

from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record, payment_refund

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund(personas, fee_config):
    patient = personas.patient
    charge_for_appointment_outcome(appointment=past_appointment(patient, service_type=fee_config["90834"]), actor=None)
    check = payment_record(actor=personas.front_desk, patient=patient, method="check", amount="50", reference="1")
    return payment_refund(actor=personas.billing, payment=check, amount="20", reason="Paid twice")


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize(
    ("who", "path"), [("billing", "/billing/receipts/{}/"), ("patient_user", "/portal/billing/receipts/{}/")]
)
def test_a_refund_receipt_shows_the_amount_given_back_without_a_minus_sign(personas, refund, login, who, path):
    page = _text(login(getattr(personas, who)).get(path.format(refund.pk)))
    assert f"Refund {refund.receipt_number}" in page
    assert "Amount $20.00" in page and "−$20.00" not in page


def test_the_portals_list_of_receipts_calls_a_refund_a_refund(personas, refund, login):
    page = _text(login(personas.patient_user).get("/portal/billing/"))
    assert f"{refund.receipt_number} — refund of $20.00" in page
    assert "−$20.00" not in page.split("Receipts", 1)[1].split("Good Faith Estimates", 1)[0]
