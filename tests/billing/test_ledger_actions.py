"""The account page offers on each line only what the ledger services would take: a refund of what is left of a
payment (none once it is all refunded), a reversal of an adjustment once, and an adjustment or a payment plan only
while something is owed."""

import re

import pytest

from apps.billing.models import Adjustment, Payment
from apps.billing.selectors.ledger import card_refunds_waiting, ledger_actions, ledger_lines, payment_refunded
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import adjustment_post, adjustment_reverse, payment_record, payment_refund
from apps.billing.services.plans import payment_plan_create
from apps.core import clock
from apps.core.errors import ApplicationError

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(personas, fee_config):
    """A $200 session charge, a $50 check refunded $20, a $25 write-off, and a $10 courtesy reversed."""
    patient = personas.patient
    charge_for_appointment_outcome(appointment=past_appointment(patient, service_type=fee_config["90834"]), actor=None)
    check = payment_record(actor=personas.front_desk, patient=patient, method="check", amount="50", reference="1")
    payment_refund(actor=personas.billing, payment=check, amount="20", reason="Paid twice")
    write_off = adjustment_post(
        actor=personas.billing, patient=patient, kind="write_off", amount="25", reason="Hardship"
    )
    courtesy = adjustment_post(actor=personas.billing, patient=patient, kind="courtesy", amount="10", reason="Wait")
    reversal = adjustment_reverse(actor=personas.billing, adjustment=courtesy, reason="Posted in error")
    return {"check": check, "write_off": write_off, "courtesy": courtesy, "reversal": reversal}


def _page(client, patient) -> str:
    return client.get(f"/billing/patients/{patient.pk}/").content.decode()


def test_each_line_offers_what_the_services_would_take(personas, account, login):
    page = _page(login(personas.billing), personas.patient)
    assert f"/billing/payments/{account['check'].pk}/refund/" in page and 'value="30.00"' in page  # 50 less 20
    assert f"/billing/adjustments/{account['write_off'].pk}/reverse/" in page
    for gone in ("courtesy", "reversal"):  # reversed already; a reversal itself
        assert f"/billing/adjustments/{account[gone].pk}/reverse/" not in page
        with pytest.raises(ApplicationError):
            adjustment_reverse(actor=personas.billing, adjustment=account[gone], reason="Again")


def test_the_refund_offered_is_what_the_refund_service_leaves_and_a_full_refund_offers_none(personas, account, login):
    check = account["check"]
    waiting = card_refunds_waiting(user=personas.billing, patient=personas.patient)
    lines = ledger_actions(ledger_lines(patient=personas.patient), card_refunds_waiting=waiting)
    [(_, left, _)] = [row for row in lines if row[0].row == check]
    assert left == check.amount - payment_refunded(payment=check)
    payment_refund(actor=personas.billing, payment=check, amount=left, reason="The rest")
    page = _page(login(personas.billing), personas.patient)
    assert f"/billing/payments/{check.pk}/refund/" not in page and "Refunded" in page
    with pytest.raises(ApplicationError, match="more than is left"):
        payment_refund(actor=personas.billing, payment=check, amount="0.01", reason="More")


def test_with_nothing_owed_the_page_offers_no_adjustment_and_no_plan(personas, account, login):
    client = login(personas.billing)
    page = _page(client, personas.patient)
    assert "Post adjustment…</button>" in page and "Split the balance</button>" in page
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="145")  # all of it
    page = _page(client, personas.patient)
    assert "Post adjustment…</button>" not in page and "Split the balance</button>" not in page
    assert "Nothing is owed, so there is nothing to adjust" in page
    with pytest.raises(ApplicationError):
        adjustment_post(actor=personas.billing, patient=personas.patient, kind="courtesy", amount="1", reason="x")
    with pytest.raises(ApplicationError):
        payment_plan_create(
            actor=personas.billing, patient=personas.patient, instalments=2, first_due=clock.local_now().date()
        )


def test_a_refund_and_an_adjustment_ask_first_and_post_only_when_confirmed(account, personas, login):
    client = login(personas.billing)
    check = account["check"]
    refund_url = f"/billing/payments/{check.pk}/refund/"
    asked = client.post(refund_url, {"amount": "20.00", "reason": "Overpaid"})
    page = asked.content.decode()
    assert asked.status_code == 200 and f"Refund $20.00 of receipt {check.receipt_number}" in page
    assert Payment.objects.filter(refund_of=check).count() == 1  # the fixture's own refund only
    done = client.post(refund_url, {"amount": "20.00", "reason": "Overpaid", "confirmed": "yes"})
    assert done.status_code == 302 and Payment.objects.filter(refund_of=check).count() == 2

    adjust_url = f"/billing/patients/{personas.patient.pk}/adjustments/"
    before = Adjustment.objects.count()
    asked = client.post(adjust_url, {"kind": "courtesy", "amount": "5.00", "reason": "Kindness"})
    assert "Post a courtesy" in asked.content.decode() and Adjustment.objects.count() == before
    client.post(adjust_url, {"kind": "courtesy", "amount": "5.00", "reason": "Kindness", "confirmed": "yes"})
    assert Adjustment.objects.count() == before + 1


def test_a_refund_the_payment_cannot_give_is_refused_before_asking(account, personas, login):
    check = account["check"]
    refused = login(personas.billing).post(
        f"/billing/payments/{check.pk}/refund/", {"amount": "5000.00", "reason": "Oops"}, follow=True
    )
    page = refused.content.decode()
    assert "more than is left to refund" in page and "Refund $5,000.00" not in page


def test_the_confirmation_shows_an_amount_typed_with_a_dollar_sign_and_posts_it(account, personas, login):
    client = login(personas.billing)
    url = f"/billing/patients/{personas.patient.pk}/adjustments/"
    asked = client.post(url, {"kind": "courtesy", "amount": "$5", "reason": "Kindness"})
    assert asked.status_code == 200 and "$5.00" in asked.content.decode()
    before = Adjustment.objects.count()
    client.post(url, {"kind": "courtesy", "amount": "$5", "reason": "Kindness", "confirmed": "yes"})
    assert Adjustment.objects.count() == before + 1


def test_each_form_on_the_account_page_has_its_own_field_ids(account, personas, login):
    page = _page(login(personas.billing), personas.patient)
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_reversing_an_adjustment_asks_first_and_reverses_only_when_confirmed(account, personas, login):
    client = login(personas.billing)
    write_off = account["write_off"]
    url = f"/billing/adjustments/{write_off.pk}/reverse/"
    asked = client.post(url, {"reason": "Posted to the wrong patient"})
    page = asked.content.decode()
    assert asked.status_code == 200 and "Reverse the write-off of $25.00 on Pat Ient&#x27;s account?" in page
    assert 'name="reason" value="Posted to the wrong patient"' in page
    assert not Adjustment.objects.filter(reverses=write_off).exists()
    client.post(url, {"reason": "Posted to the wrong patient", "confirmed": "yes"})
    assert Adjustment.objects.get(reverses=write_off).reason == "Posted to the wrong patient"


def test_a_reversal_the_ledger_would_refuse_is_refused_before_asking(account, personas, login):
    client = login(personas.billing)
    for adjustment, reason, refusal, status in (
        (account["courtesy"], "Again", "already been reversed", 409),
        (account["reversal"], "Again", "A reversal cannot be reversed", 409),
        (account["write_off"], " ", "Reason: This field is required.", 422),
    ):
        adjustments = Adjustment.objects.count()
        answer = client.post(f"/billing/adjustments/{adjustment.pk}/reverse/", {"reason": reason})
        page = answer.content.decode()
        assert answer.status_code == status, refusal
        assert 'id="error-summary"' in page and "The adjustment was not reversed." in page
        assert refusal in page and "Reverse the" not in page
        assert Adjustment.objects.count() == adjustments


def test_a_refund_of_more_than_is_left_comes_back_on_its_row_as_typed_with_nothing_refunded(account, personas, login):
    check = account["check"]
    payments = Payment.objects.count()
    answer = login(personas.billing).post(
        f"/billing/payments/{check.pk}/refund/", {"amount": "45.00", "reason": "Paid by card too"}
    )
    page = answer.content.decode()
    assert answer.status_code == 422
    assert 'id="error-summary"' in page and "Nothing was refunded." in page
    assert 'value="45.00" autofocus' in page and 'value="Paid by card too"' in page
    assert Payment.objects.count() == payments
