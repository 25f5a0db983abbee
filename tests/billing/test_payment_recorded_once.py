"""One submission records at most one payment: the desk's payment form sent twice (a second click, the browser
sending it again after a timeout, Back then Submit) and an API request sent again with its Idempotency-Key answer
the payment the first sending recorded instead of recording another."""

import re
import uuid
from decimal import Decimal

import pytest

from apps.billing.models import Payment
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.core.errors import Conflict
from tests.locking import HeldElsewhere, at_once

from .helpers import past_appointment

pytestmark = pytest.mark.django_db

OWED = Decimal("400.00")
KEY_IN_FORM = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


def _owe_400(patient, catalogue) -> None:
    """Two individual sessions at the full fee ($200 each)."""
    for days_ago in (10, 3):
        charge_for_appointment_outcome(
            appointment=past_appointment(patient, service_type=catalogue["90834"], days_ago=days_ago), actor=None
        )
    assert patient_balance(patient=patient) == OWED


@pytest.fixture
def owing(personas, fee_config):
    _owe_400(personas.patient, fee_config)


def _ledger_url(patient) -> str:
    return f"/billing/patients/{patient.pk}/"


def _payment_url(patient) -> str:
    return f"/billing/patients/{patient.pk}/payments/"


def _form_key(response) -> str:
    found = KEY_IN_FORM.search(response.content.decode())
    assert found, "the payment form carries no submission key"
    return found.group(1)


# --- the desk's payment form ---------------------------------------------------------------------------------------


def test_the_payment_form_sent_twice_records_one_payment_and_both_answers_show_its_receipt(owing, personas, login):
    client = login(personas.front_desk)
    sent = {"method": "cash", "amount": "50", "submission_key": _form_key(client.get(_ledger_url(personas.patient)))}
    first = client.post(_payment_url(personas.patient), sent, follow=True)
    again = client.post(_payment_url(personas.patient), sent, follow=True)
    payment = Payment.objects.get()
    assert first.redirect_chain == again.redirect_chain == [(f"/billing/receipts/{payment.pk}/", 302)]
    assert payment.receipt_number in first.content.decode()
    assert payment.receipt_number in again.content.decode()
    assert "already recorded" in again.content.decode()
    assert patient_balance(patient=personas.patient) == OWED - Decimal("50.00")


def test_each_showing_of_the_form_is_a_new_submission(owing, personas, login):
    client = login(personas.front_desk)
    keys = [_form_key(client.get(_ledger_url(personas.patient))) for _ in range(2)]
    assert keys[0] != keys[1]
    for key in keys:
        client.post(_payment_url(personas.patient), {"method": "cash", "amount": "50", "submission_key": key})
    assert Payment.objects.count() == 2
    assert patient_balance(patient=personas.patient) == OWED - Decimal("100.00")


def test_a_refused_payment_corrected_and_sent_again_is_recorded_once(owing, personas, login):
    client = login(personas.front_desk)
    key = _form_key(client.get(_ledger_url(personas.patient)))
    refused = client.post(_payment_url(personas.patient), {"method": "cash", "amount": "5000", "submission_key": key})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "more than the balance" in page
    assert 'value="5000"' in page  # the form comes back as it was sent, its submission with it
    assert _form_key(refused) == key
    assert not Payment.objects.exists()
    corrected = {"method": "cash", "amount": "400", "submission_key": key}
    client.post(_payment_url(personas.patient), corrected)
    client.post(_payment_url(personas.patient), corrected)
    assert Payment.objects.count() == 1
    assert patient_balance(patient=personas.patient) == 0


def test_a_form_sent_again_with_another_amount_is_refused_and_a_fresh_form_shown(owing, personas, login):
    client = login(personas.front_desk)
    key = _form_key(client.get(_ledger_url(personas.patient)))
    client.post(_payment_url(personas.patient), {"method": "cash", "amount": "50", "submission_key": key})
    receipt = Payment.objects.get().receipt_number
    changed = client.post(
        _payment_url(personas.patient), {"method": "cash", "amount": "60", "submission_key": key}, follow=True
    )
    assert changed.status_code == 409 and 'id="error-summary"' in changed.content.decode()
    assert "No payment was recorded." in changed.content.decode()
    assert f"already recorded receipt {receipt}" in changed.content.decode()
    assert _form_key(changed) != key
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_twice_at_once_records_one_payment(personas, fee_config, login):
    _owe_400(personas.patient, fee_config)
    first_tab, second_tab = login(personas.front_desk), login(personas.front_desk)
    sent = {"method": "cash", "amount": "50", "submission_key": _form_key(first_tab.get(_ledger_url(personas.patient)))}
    answers = at_once(
        lambda: first_tab.post(_payment_url(personas.patient), sent),
        lambda: second_tab.post(_payment_url(personas.patient), sent),
    )
    payment = Payment.objects.get()
    assert [answer.url for answer in answers] == [f"/billing/receipts/{payment.pk}/"] * 2, answers
    assert patient_balance(patient=personas.patient) == OWED - Decimal("50.00")


@pytest.mark.django_db(transaction=True)
def test_a_key_taken_at_the_same_moment_for_another_patient_is_refused(personas, fee_config):
    _owe_400(personas.patient, fee_config)
    _owe_400(personas.other_patient, fee_config)
    key = uuid.uuid4()

    def pay(patient):
        return payment_record(
            actor=personas.front_desk, patient=patient, method="cash", amount="50", submission_key=key
        )

    # The other patient's payment is written but not committed when ours is: the unique key has the last word.
    other = HeldElsewhere(lambda: pay(personas.other_patient))
    other.release_soon()
    with pytest.raises(Conflict, match="another patient"):
        pay(personas.patient)
    other.join()
    assert Payment.objects.get(submission_key=key).patient == personas.other_patient
    assert patient_balance(patient=personas.patient) == OWED


# --- the API -------------------------------------------------------------------------------------------------------


def _api_pay(client, key, **body):
    body = {"method": "check", "amount": "50.00", "reference": "1001", **body}
    headers = {"Idempotency-Key": str(key)} if key else {}
    return client.post("/api/payments/", body, format="json", headers=headers)


def test_the_api_answers_a_request_sent_again_with_the_payment_it_recorded(owing, personas, login):
    api = login(personas.front_desk, api=True)
    key = uuid.uuid4()
    first = _api_pay(api, key, patient=personas.patient.pk)
    again = _api_pay(api, key, patient=personas.patient.pk)
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json() == first.json()
    assert Payment.objects.count() == 1


def test_the_api_refuses_a_key_sent_again_with_another_payment(owing, personas, login, fee_config):
    _owe_400(personas.other_patient, fee_config)
    api = login(personas.front_desk, api=True)
    key = uuid.uuid4()
    receipt = _api_pay(api, key, patient=personas.patient.pk).json()["receipt_number"]
    for changed in ({"amount": "60.00"}, {"method": "cash", "reference": ""}, {"reference": "1002"}):
        refused = _api_pay(api, key, patient=personas.patient.pk, **changed)
        assert refused.status_code == 409, (changed, refused.content)
        assert f"already recorded receipt {receipt}" in refused.json()["error"]["message"]
    elsewhere = _api_pay(api, key, patient=personas.other_patient.pk)
    assert elsewhere.status_code == 409
    assert receipt not in elsewhere.json()["error"]["message"]  # nothing of another patient's account
    assert Payment.objects.count() == 1
    assert _api_pay(api, "not-a-key", patient=personas.patient.pk).status_code == 400
    assert Payment.objects.count() == 1


def test_without_a_key_each_api_request_is_its_own_payment(owing, personas, login):
    api = login(personas.front_desk, api=True)
    assert [_api_pay(api, None, patient=personas.patient.pk).status_code for _ in range(2)] == [201, 201]
    assert Payment.objects.count() == 2


def test_the_schema_documents_the_idempotency_key(personas, login):
    schema = login(personas.admin, api=True).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    operation = schema.json()["paths"]["/api/payments/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["format"] == "uuid" and not header.get("required")
    assert {"200", "201", "409"} <= set(operation["responses"])
