"""The account page's ledger: each payment and refund named once by its method, each with its receipt."""

from decimal import Decimal

import pytest

from apps.billing.models import Payment
from apps.billing.services.payments import payment_record, payment_refund


@pytest.mark.django_db
def test_a_payment_and_its_refund_are_named_by_their_method_and_each_links_its_receipt(personas, login):
    payment = payment_record(
        actor=personas.billing,
        patient=personas.patient,
        method="card_present",
        amount=Decimal("50.00"),
        credit_on_account=True,
    )
    refund = payment_refund(actor=personas.billing, payment=payment, amount="20", reason="Overpaid")

    page = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").content.decode()

    assert f"Payment by card (in person), receipt {payment.receipt_number}" in page
    assert f"Refund by card (in person), receipt {refund.receipt_number}" in page
    assert "((" not in page and "))" not in page
    assert f'href="/billing/receipts/{payment.pk}/"' in page
    assert f'href="/billing/receipts/{refund.pk}/"' in page
    assert Payment.objects.filter(refund_of=payment).count() == 1
