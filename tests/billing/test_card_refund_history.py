"""A card refund request keeps its row history (every status it passed through, by database triggers) and is only
read in the Django admin, whose list shows no more of the patient than the payments' list does."""

import pytest

from apps.billing.models import CardRefund, CardRefundStatus, Payment
from apps.billing.payments import ProviderUnavailable
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start
from apps.billing.services.payments import payment_refund

from .helpers import past_appointment
from .stripe_standin import completed_event, webhook_post

pytestmark = pytest.mark.django_db

REASON = "Overcharged; patient upset about the session of the 3rd"


@pytest.fixture
def waiting_refund(stripe_api, personas, fee_config, client):
    """A $40 refund of a $150 card payment, waiting for the provider's answer."""
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient, amount=150)
    assert webhook_post(client, completed_event(checkout)).status_code == 200
    stripe_api.mode = "down"
    with pytest.raises(ProviderUnavailable):
        payment_refund(
            actor=personas.billing, payment=Payment.objects.get(method="card_online"), amount="40", reason=REASON
        )
    return CardRefund.objects.get()


def test_a_card_refund_keeps_the_history_of_its_row(waiting_refund):
    CardRefund.objects.filter(pk=waiting_refund.pk).update(status=CardRefundStatus.FAILED, failure="Disputed")
    events = list(CardRefund.pgh_event_model.objects.filter(pgh_obj_id=waiting_refund.pk).order_by("pgh_id"))
    assert [(e.pgh_label, e.status) for e in events] == [("insert", "pending"), ("update", "failed")]


def test_card_refunds_are_read_not_changed_in_the_admin(superuser_admin, waiting_refund):
    listing = superuser_admin.get("/admin/billing/cardrefund/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert waiting_refund.payment.receipt_number in page
    assert REASON not in page and "upset" not in page
    url = f"/admin/billing/cardrefund/{waiting_refund.pk}/change/"
    assert superuser_admin.get(url).status_code == 200
    assert superuser_admin.post(url, {"status": "refunded"}).status_code == 403
    assert superuser_admin.get("/admin/billing/cardrefund/add/").status_code == 403
    assert (
        superuser_admin.post(f"/admin/billing/cardrefund/{waiting_refund.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert CardRefund.objects.get().status == CardRefundStatus.PENDING
