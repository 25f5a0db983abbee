from decimal import Decimal

import pytest
import stripe

from apps.billing.demo import config_seed
from apps.billing.models import Payment
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start
from tests.factories import ServiceTypeFactory

from .helpers import past_appointment
from .stripe_standin import StripeStandIn, completed_event, webhook_post


@pytest.fixture
def services_catalogue(db):
    return {
        "90791": ServiceTypeFactory(code="90791", name="Intake assessment", duration_minutes=60),
        "90834": ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45),
        "90837": ServiceTypeFactory(code="90837", name="Individual psychotherapy, 60 min", duration_minutes=60),
        "90853": ServiceTypeFactory(code="90853", name="Group psychotherapy", duration_minutes=90, is_group=True),
    }


@pytest.fixture
def fee_config(services_catalogue):
    """The demo clinic's fees: intake $250, individual $200, group $60; 2025/2026 guidelines; HRSA classes with a
    $20 nominal fee and a $100 late-cancel / no-show policy fee."""
    config_seed()
    return services_catalogue


@pytest.fixture
def massage(fee_config):
    """The relaxation massage: $110 a session in the fee schedule."""
    import datetime as dt
    from decimal import Decimal

    from apps.billing.services.configuration import fee_schedule_set

    service = ServiceTypeFactory(code="97124", name="Relaxation massage, 60 min", duration_minutes=60)
    fee_schedule_set(actor=None, service_type=service, full_fee=Decimal("110.00"), effective_from=dt.date(2025, 1, 1))
    return service


@pytest.fixture
def offering(massage):
    """Ten massages for $1,000 (instead of $1,100), priced at the buyer's class."""
    from decimal import Decimal

    from apps.billing.models import PackageOffering

    return PackageOffering.objects.create(
        name="10-week relaxation massage", service_type=massage, session_count=10, full_price=Decimal("1000.00")
    )


@pytest.fixture
def stripe_api(settings, monkeypatch):
    """Card payments through Stripe's SDK, answered by a local stand-in for its API (which counts the refunds)."""
    settings.CLINIC_PAYMENT_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_clinic"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_clinic"
    with StripeStandIn() as standin:
        monkeypatch.setattr(stripe, "api_base", standin.base)
        monkeypatch.setattr(stripe, "max_network_retries", 0)  # a lost answer is the clinic's to ask again about
        yield standin


@pytest.fixture
def owing_patient(personas, fee_config):
    """The personas' patient, owing $200 for one full-fee session."""
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    return personas.patient


@pytest.fixture
def card_payment(stripe_api, personas, fee_config, client):
    """$150 paid by card in the portal on a $200 balance."""
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient, amount=Decimal("150.00"))
    assert webhook_post(client, completed_event(checkout)).status_code == 200
    payment = Payment.objects.get(method="card_online")
    payment.checkout_for_test = checkout
    return payment
