"""One submission sells a package once and closes it once: the sale's and the refund's confirmations sent twice (a
second click, Back then send, the browser sending again after a timeout) answer what the first sending did instead
of selling or refunding again, or refusing with "already has an active package" / "nothing is left to refund"."""

import re
import uuid
from decimal import Decimal

import pytest

from apps.billing.models import Adjustment, Charge, PackageOffering, PackagePurchase, PackageStatus, Payment
from apps.billing.services.packages import package_purchase, package_refund
from apps.billing.services.payments import payment_record
from apps.core.errors import Conflict
from tests.locking import at_once

from .packages import patient_at_class

pytestmark = pytest.mark.django_db

SALE_KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"[^>]*id="package_submission_key"')
REFUND_KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


@pytest.fixture
def class_b(personas, offering):
    patient_at_class(personas.patient, "B")
    return personas.patient


@pytest.fixture
def sold(personas, class_b, offering) -> PackagePurchase:
    package = package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    payment_record(actor=personas.front_desk, patient=class_b, method="cash", amount=package.price)
    return package


def _sell_url(patient) -> str:
    return f"/billing/patients/{patient.pk}/packages/sell/"


# --- sales ---------------------------------------------------------------------------------------------------------


def test_a_sale_confirmed_twice_sells_once_and_the_second_answer_says_so(personas, class_b, offering, login):
    client = login(personas.front_desk)
    found = SALE_KEY.search(client.get(f"/billing/patients/{class_b.pk}/").content.decode())
    assert found, "the sale form carries no submission key"
    chosen = {"offering": offering.pk, "submission_key": found.group(1)}
    confirm = client.get(_sell_url(class_b), chosen).content.decode()
    assert f'value="{found.group(1)}"' in confirm  # the confirmation carries it on
    client.post(_sell_url(class_b), chosen)
    again = client.post(_sell_url(class_b), chosen, follow=True).content.decode()
    assert "already sold; nothing more was charged" in again and "already has an active" not in again
    assert PackagePurchase.objects.count() == Charge.objects.count() == 1


def test_the_sale_confirmation_reached_again_by_back_answers_the_sale(personas, class_b, offering, login):
    client = login(personas.front_desk)
    chosen = {"offering": offering.pk, "submission_key": str(uuid.uuid4())}
    client.post(_sell_url(class_b), chosen)
    back = client.get(_sell_url(class_b), chosen, follow=True).content.decode()
    assert "already sold" in back and "already has an active" not in back
    assert PackagePurchase.objects.count() == 1


def test_the_same_sale_key_for_another_offering_or_patient_is_refused(personas, class_b, offering, massage):
    patient_at_class(personas.other_patient, "B")
    other = PackageOffering.objects.create(
        name="Five massages", service_type=massage, session_count=5, full_price=offering.full_price / 2
    )
    key = uuid.uuid4()
    sale = {"actor": personas.front_desk, "submission_key": key}
    first = package_purchase(**sale, patient=class_b, offering=offering)
    again = package_purchase(**sale, patient=class_b, offering=offering)
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    with pytest.raises(Conflict, match="already recorded the sale of “10-week relaxation massage” for"):
        package_purchase(**sale, patient=class_b, offering=other)
    with pytest.raises(Conflict, match="package sale to another patient"):
        package_purchase(**sale, patient=personas.other_patient, offering=offering)
    assert PackagePurchase.objects.count() == Charge.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_sale_sent_twice_at_once_sells_once(personas, offering, login):
    patient_at_class(personas.patient, "B")
    first_tab, second_tab = login(personas.front_desk), login(personas.front_desk)
    chosen = {"offering": offering.pk, "submission_key": str(uuid.uuid4())}
    url = _sell_url(personas.patient)
    answers = at_once(lambda: first_tab.post(url, chosen), lambda: second_tab.post(url, chosen))
    assert [answer.status_code for answer in answers] == [302, 302], answers
    assert PackagePurchase.objects.count() == Charge.objects.count() == 1


# --- refunds -------------------------------------------------------------------------------------------------------


def test_a_refund_confirmed_twice_refunds_once_and_the_second_answer_says_so(personas, sold, login):
    client = login(personas.billing)
    url = f"/billing/packages/{sold.pk}/refund/"
    found = REFUND_KEY.search(client.get(url).content.decode())
    assert found, "the refund form carries no submission key"
    sent = {"reason": "Moving away", "submission_key": found.group(1)}
    client.post(url, sent)
    again = client.post(url, sent, follow=True).content.decode()
    assert "already closed; nothing more was refunded" in again and "nothing is left to refund" not in again
    assert PackagePurchase.objects.get().status == PackageStatus.CANCELLED
    assert Adjustment.objects.count() == 1
    assert Payment.objects.filter(refund_of__isnull=False).count() == 1


def test_the_same_refund_key_for_another_package_is_refused(personas, sold, class_b, massage):
    other = package_purchase(
        actor=personas.front_desk,
        patient=class_b,
        offering=PackageOffering.objects.create(
            name="Five massages", service_type=massage, session_count=5, full_price=sold.full_price / 2
        ),
    )
    key = uuid.uuid4()
    first = package_refund(actor=personas.billing, purchase=sold, reason="Moving away", submission_key=key)
    again = package_refund(actor=personas.billing, purchase=sold, reason="Moving", submission_key=key)
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    with pytest.raises(Conflict, match="package refund of another package"):
        package_refund(actor=personas.billing, purchase=other, reason="Moving away", submission_key=key)
    other.refresh_from_db()
    assert other.status == PackageStatus.ACTIVE
    assert Adjustment.objects.count() == 1


def test_a_different_refund_submission_of_a_closed_package_is_still_refused(personas, sold, login):
    client = login(personas.billing)
    url = f"/billing/packages/{sold.pk}/refund/"
    client.post(url, {"reason": "Moving away", "submission_key": str(uuid.uuid4())})
    refused = client.post(url, {"reason": "Moving away", "submission_key": str(uuid.uuid4())})
    assert refused.status_code == 409 and "nothing is left to refund" in refused.content.decode()
    assert Adjustment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_refund_sent_twice_at_once_refunds_once(personas, offering, login):
    patient_at_class(personas.patient, "B")
    package = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount=package.price)
    first_tab, second_tab = login(personas.billing), login(personas.billing)
    url = f"/billing/packages/{package.pk}/refund/"
    sent = {"reason": "Moving away", "submission_key": str(uuid.uuid4())}
    answers = at_once(lambda: first_tab.post(url, sent), lambda: second_tab.post(url, sent))
    assert [answer.status_code for answer in answers] == [302, 302], answers
    assert PackagePurchase.objects.get().status == PackageStatus.CANCELLED
    assert Adjustment.objects.count() == 1
    assert Payment.objects.filter(refund_of__isnull=False).count() == 1


# --- the API -------------------------------------------------------------------------------------------------------


def _api_sell(client, patient, offering, key):
    url = f"/api/patients/{patient.pk}/packages/"
    return client.post(url, {"offering": offering.pk}, format="json", headers={"Idempotency-Key": str(key)})


def test_the_api_answers_a_sale_sent_again_with_its_idempotency_key_with_the_package_it_sold(
    personas, class_b, offering, login
):
    api = login(personas.front_desk, api=True)
    key = uuid.uuid4()
    first, again = _api_sell(api, class_b, offering, key), _api_sell(api, class_b, offering, key)
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json() == first.json()
    assert _api_sell(api, class_b, offering, "not-a-uuid").status_code == 400
    assert PackagePurchase.objects.count() == 1


def _api_refund(client, package, key=None, reason="Moving away"):
    headers = {"Idempotency-Key": str(key)} if key is not None else {}
    return client.post(f"/api/packages/{package.pk}/refund/", {"reason": reason}, format="json", headers=headers)


def _refunded_in_all(patient) -> Decimal:
    return -sum((p.amount for p in Payment.objects.filter(patient=patient, refund_of__isnull=False)), Decimal(0))


def test_the_api_answers_a_refund_sent_again_with_its_idempotency_key_with_the_package_it_closed(personas, sold, login):
    api = login(personas.billing, api=True)
    key = uuid.uuid4()
    first, again = _api_refund(api, sold, key), _api_refund(api, sold, key)
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json() == first.json()
    assert first.json()["status"] == PackageStatus.CANCELLED
    assert Adjustment.objects.count() == 1
    assert _refunded_in_all(sold.patient) == sold.price
    refused = _api_refund(api, sold, uuid.uuid4())
    assert refused.status_code == 409 and "nothing is left to refund" in refused.json()["error"]["message"]
    assert _api_refund(api, sold, "not-a-uuid").status_code == 400
    assert Adjustment.objects.count() == 1 and _refunded_in_all(sold.patient) == sold.price


def test_the_api_refunds_packages_for_billing_only(personas, sold, login):
    for who in (personas.front_desk, personas.therapist, personas.patient_user):
        answer = _api_refund(login(who, api=True), sold, uuid.uuid4())
        assert answer.status_code == 403, who
        assert sold.offering.name not in answer.content.decode()
    assert _api_refund(login(personas.billing, api=True), sold, uuid.uuid4(), reason=" ").status_code in (400, 422)
    assert login(personas.billing, api=True).post("/api/packages/999999/refund/", {"reason": "x"}).status_code == 404
    sold.refresh_from_db()
    assert sold.status == PackageStatus.ACTIVE and not Adjustment.objects.exists()


def _sold_and_paid_in_cash(personas, offering) -> tuple[PackagePurchase, Payment]:
    patient_at_class(personas.patient, "B")
    package = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    paid = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount=package.price)
    return package, paid


@pytest.mark.django_db(transaction=True)
def test_the_page_and_the_api_refunding_a_package_at_once_refund_it_once(personas, offering, login):
    """Two submissions (each its own key: two tabs, or the page and a script), on two connections at once: one
    closes the package, the other is refused, and no more is given back than was paid."""
    package, _paid = _sold_and_paid_in_cash(personas, offering)
    page, api = login(personas.billing), login(personas.billing, api=True)
    sent = {"reason": "Moving away", "submission_key": str(uuid.uuid4())}
    by_page, by_api = at_once(
        lambda: page.post(f"/billing/packages/{package.pk}/refund/", sent),
        lambda: _api_refund(api, package, uuid.uuid4()),
    )
    # One closes it (the page goes back to the account, the API answers 201), the other answers 409.
    assert {(by_page.status_code, by_api.status_code)} <= {(302, 409), (409, 201)}, (by_page, by_api)
    assert PackagePurchase.objects.get().status == PackageStatus.CANCELLED
    assert Adjustment.objects.count() == 1
    assert Payment.objects.filter(refund_of__isnull=False).count() == 1
    assert _refunded_in_all(personas.patient) == package.price


@pytest.mark.django_db(transaction=True)
def test_a_package_refund_and_a_refund_of_its_payment_at_once_never_give_back_more_than_was_paid(
    personas, offering, login
):
    """The package's close gives its share back through the payment refund's own check, so a refund of the same
    payment asked at the same moment (the payments API) cannot make it twice: whichever comes second gives back only
    what is left."""
    package, paid = _sold_and_paid_in_cash(personas, offering)
    api = login(personas.billing, api=True)
    whole = {"amount": str(paid.amount), "reason": "Paid twice"}
    closed, refunded = at_once(
        lambda: _api_refund(api, package, uuid.uuid4()),
        lambda: api.post(f"/api/payments/{paid.pk}/refund/", whole, format="json"),
    )
    assert closed.status_code == 201, closed.content
    assert refunded.status_code in (201, 422), refunded.content
    assert _refunded_in_all(personas.patient) == paid.amount
    assert PackagePurchase.objects.get().status == PackageStatus.CANCELLED
    assert Adjustment.objects.get().amount == package.price
