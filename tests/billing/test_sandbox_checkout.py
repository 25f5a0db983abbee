"""The card sandbox: development's and the local demo's stand-in for the provider's hosted checkout page.

It walks the same path as a real card payment (checkout, provider event, payment posted once), and exists only
while the sandbox is the configured backend; production settings refuse it (tests/core/test_production_settings).
"""

from decimal import Decimal

import pytest

from apps.billing.models import CheckoutSession, Payment
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.checkout import checkout_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing_patient(owing_patient, settings):
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"
    return owing_patient


def test_paying_on_the_sandbox_page_posts_one_card_payment(owing_patient, personas, login, settings):
    client = login(personas.patient_user)
    started = client.post("/portal/billing/pay/", {"amount": "150.00"})
    checkout = CheckoutSession.objects.get()
    assert started["Location"] == f"{settings.SITE_URL}/portal/billing/pay/{checkout.pk}/sandbox/"
    page = started["Location"].removeprefix(settings.SITE_URL)
    assert "No card is charged" in client.get(page).content.decode()
    paid = client.post(page)
    assert paid["Location"] == f"/portal/billing/pay/{checkout.pk}/return/?result=success"
    client.post(page)  # a second press changes nothing
    payment = Payment.objects.get()
    assert (payment.method, payment.amount) == ("card_online", Decimal("150.00"))
    assert patient_balance(patient=owing_patient) == Decimal("50.00")


@pytest.mark.parametrize("backend", ["offline", "stripe"])
def test_the_sandbox_page_does_not_exist_under_another_backend(owing_patient, personas, login, settings, backend):
    checkout = checkout_start(actor=personas.patient_user, patient=owing_patient, amount=Decimal("20.00"))
    settings.CLINIC_PAYMENT_BACKEND = backend
    client = login(personas.patient_user)
    assert client.get(f"/portal/billing/pay/{checkout.pk}/sandbox/").status_code == 404
    assert client.post(f"/portal/billing/pay/{checkout.pk}/sandbox/").status_code == 404
    assert not Payment.objects.exists()


def test_another_patients_sandbox_checkout_is_not_found(owing_patient, personas, login):
    checkout = checkout_start(actor=personas.patient_user, patient=owing_patient, amount=Decimal("20.00"))
    assert login(personas.other_patient_user).post(f"/portal/billing/pay/{checkout.pk}/sandbox/").status_code == 404
    assert not Payment.objects.exists()
