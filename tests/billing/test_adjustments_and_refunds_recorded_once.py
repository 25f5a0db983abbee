"""One submission posts at most one adjustment and makes at most one refund: the account page's adjustment form and a
payment's refund form sent twice (a second click on the confirmation, Back then send, the browser sending again
after a timeout) answer what the first sending posted instead of posting another."""

import re
import uuid
from decimal import Decimal

import pytest

from apps.billing.models import Adjustment, Payment
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import adjustment_post, payment_record, payment_refund
from apps.core.errors import Conflict
from tests.locking import at_once

from .helpers import past_appointment

pytestmark = pytest.mark.django_db

OWED = Decimal("200.00")
ADJUSTMENT_KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"[^>]*id="adjustment_submission_key"')
REFUND_KEY = re.compile(r'refund/">.{0,200}?name="submission_key" value="([0-9a-f-]{36})"')


def _owe_200(patient, catalogue) -> None:
    charge_for_appointment_outcome(appointment=past_appointment(patient, service_type=catalogue["90834"]), actor=None)
    assert patient_balance(patient=patient) == OWED


@pytest.fixture
def owing(personas, fee_config):
    _owe_200(personas.patient, fee_config)


@pytest.fixture
def paid_50(owing, personas) -> Payment:
    return payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="50")


def _ledger(client, patient) -> str:
    return client.get(f"/billing/patients/{patient.pk}/").content.decode()


def _key(pattern, page: str) -> str:
    found = pattern.search(page)
    assert found, "the form carries no submission key"
    return found.group(1)


# --- adjustments ---------------------------------------------------------------------------------------------------


def test_an_adjustment_confirmed_twice_is_posted_once_and_the_second_answer_says_so(owing, personas, login):
    client = login(personas.billing)
    url = f"/billing/patients/{personas.patient.pk}/adjustments/"
    key = _key(ADJUSTMENT_KEY, _ledger(client, personas.patient))
    sent = {"kind": "write_off", "amount": "200", "reason": "Hardship", "submission_key": key}
    asked = client.post(url, sent)
    assert f'name="submission_key" value="{key}"' in asked.content.decode()  # the confirmation carries it on
    client.post(url, {**sent, "confirmed": "yes"})
    again = client.post(url, {**sent, "confirmed": "yes"}, follow=True)
    assert "already posted" in again.content.decode()
    assert Adjustment.objects.count() == 1
    assert patient_balance(patient=personas.patient) == 0


def test_an_adjustment_sent_again_from_the_account_page_after_back_is_not_asked_about_again(owing, personas, login):
    """The balance is nothing once the write-off is posted: asked again, the page would refuse it as too much."""
    client = login(personas.billing)
    url = f"/billing/patients/{personas.patient.pk}/adjustments/"
    sent = {"kind": "write_off", "amount": "200", "reason": "Hardship", "submission_key": str(uuid.uuid4())}
    client.post(url, {**sent, "confirmed": "yes"})
    again = client.post(url, sent, follow=True)
    page = again.content.decode()
    assert "already posted" in page and "more than the balance" not in page
    assert Adjustment.objects.count() == 1


def test_the_same_adjustment_key_with_another_amount_is_refused(owing, personas):
    key = uuid.uuid4()
    post = {"actor": personas.billing, "patient": personas.patient, "kind": "courtesy", "reason": "Wait"}
    first = adjustment_post(**post, amount="20", submission_key=key)
    again = adjustment_post(**post, amount="20.00", submission_key=key)
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    with pytest.raises(Conflict, match=r"already recorded a courtesy discount of \$20\.00"):
        adjustment_post(**post, amount="30", submission_key=key)
    with pytest.raises(Conflict, match="another patient"):
        adjustment_post(**{**post, "patient": personas.other_patient}, amount="20", submission_key=key)
    assert Adjustment.objects.count() == 1


def test_each_showing_of_the_adjustment_form_is_a_new_submission(owing, personas, login):
    client = login(personas.billing)
    keys = {_key(ADJUSTMENT_KEY, _ledger(client, personas.patient)) for _ in range(2)}
    assert len(keys) == 2
    for key in keys:
        sent = {"kind": "courtesy", "amount": "10", "reason": "Wait", "submission_key": key, "confirmed": "yes"}
        client.post(f"/billing/patients/{personas.patient.pk}/adjustments/", sent)
    assert Adjustment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_adjustment_sent_twice_at_once_is_posted_once(personas, fee_config, login):
    _owe_200(personas.patient, fee_config)
    first_tab, second_tab = login(personas.billing), login(personas.billing)
    url = f"/billing/patients/{personas.patient.pk}/adjustments/"
    sent = {"kind": "write_off", "amount": "50", "reason": "Hardship", "submission_key": str(uuid.uuid4())}
    sent["confirmed"] = "yes"
    answers = at_once(lambda: first_tab.post(url, sent), lambda: second_tab.post(url, sent))
    assert [answer.status_code for answer in answers] == [302, 302], answers
    assert Adjustment.objects.count() == 1
    assert patient_balance(patient=personas.patient) == OWED - Decimal("50.00")


# --- refunds -------------------------------------------------------------------------------------------------------


def test_a_refund_confirmed_twice_refunds_once_and_the_second_answer_says_so(paid_50, personas, login):
    client = login(personas.billing)
    key = _key(REFUND_KEY, _ledger(client, personas.patient))
    url = f"/billing/payments/{paid_50.pk}/refund/"
    sent = {"amount": "50", "reason": "Paid twice", "submission_key": key, "confirmed": "yes"}
    client.post(url, sent)
    again = client.post(url, sent, follow=True)
    assert "already recorded" in again.content.decode()
    assert "more than is left" not in again.content.decode()
    assert Payment.objects.filter(refund_of=paid_50).count() == 1


def test_each_payment_on_the_account_page_has_its_own_refund_key(paid_50, personas, login):
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="20")
    page = _ledger(login(personas.billing), personas.patient)
    keys = REFUND_KEY.findall(page)
    assert len(keys) == len(set(keys)) == 2


def test_the_same_refund_key_for_another_amount_or_payment_is_refused(paid_50, personas):
    other = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="20")
    key = uuid.uuid4()
    first = payment_refund(
        actor=personas.billing, payment=paid_50, amount="10", reason="Paid twice", submission_key=key
    )
    again = payment_refund(actor=personas.billing, payment=paid_50, amount="10", reason="Again", submission_key=key)
    assert (again.pk, again.replayed) == (first.pk, True)
    with pytest.raises(Conflict, match=r"already recorded a refund of \$10\.00"):
        payment_refund(actor=personas.billing, payment=paid_50, amount="15", reason="Paid twice", submission_key=key)
    with pytest.raises(Conflict, match="another payment"):
        payment_refund(actor=personas.billing, payment=other, amount="10", reason="Paid twice", submission_key=key)
    assert Payment.objects.filter(refund_of__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_refund_sent_twice_at_once_refunds_once(personas, fee_config, login):
    _owe_200(personas.patient, fee_config)
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="50")
    first_tab, second_tab = login(personas.billing), login(personas.billing)
    url = f"/billing/payments/{payment.pk}/refund/"
    sent = {"amount": "20", "reason": "Paid twice", "submission_key": str(uuid.uuid4()), "confirmed": "yes"}
    answers = at_once(lambda: first_tab.post(url, sent), lambda: second_tab.post(url, sent))
    assert [answer.status_code for answer in answers] == [302, 302], answers
    assert Payment.objects.filter(refund_of=payment).count() == 1
    assert patient_balance(patient=personas.patient) == OWED - Decimal("30.00")
