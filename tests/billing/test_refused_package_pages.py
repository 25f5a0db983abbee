"""Selling and refunding a session package refuse as every form does: the page comes back with a summary at its top
saying what was not done and why, what was chosen or typed still in its field, 422 for what was sent and 409 for
the package or the account as it now stands, and nothing charged, credited or given back."""

import html
import re
import uuid

import pytest

from apps.billing.models import Adjustment, Charge, PackageOffering, PackagePurchase, PackageStatus, Payment
from apps.billing.services.packages import package_purchase, package_refund
from apps.billing.services.payments import adjustment_post, payment_record

from .packages import patient_at_class

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def _sell_url(patient) -> str:
    return f"/billing/patients/{patient.pk}/packages/sell/"


def _refund_url(package) -> str:
    return f"/billing/packages/{package.pk}/refund/"


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _summary(page: str) -> str:
    start = page.index(SUMMARY)
    return page[start : page.index("</div>", start)]


def _sale_form(page: str) -> str:
    start = page.rindex("<form", 0, page.index('id="package_offering"'))
    return page[start : page.index("</form>", start)]


def _written() -> tuple[int, ...]:
    return (
        PackagePurchase.objects.count(),
        Charge.objects.count(),
        Adjustment.objects.count(),
        Payment.objects.count(),
    )


@pytest.fixture
def class_b(personas, offering):
    patient_at_class(personas.patient, "B")
    return personas.patient


@pytest.fixture
def partner_offering(massage):
    """A second package of the same service: each patient may hold one of each."""
    from decimal import Decimal

    return PackageOffering.objects.create(
        name="Five massages", service_type=massage, session_count=5, full_price=Decimal("500.00")
    )


# --- selling ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chosen", [{"offering": "999999"}, {"offering": "five"}, {}])
def test_a_sale_of_no_package_is_refused_422_on_the_account_page_by_the_package_field(
    personas, class_b, offering, login, chosen
):
    before = _written()
    response = login(personas.front_desk).get(_sell_url(class_b), chosen)
    page = _page(response)
    assert response.status_code == 422
    assert "No package was sold." in _summary(page)
    assert 'href="#package_offering"' in _summary(page)  # to the field it is about
    form = _sale_form(page)
    assert "autofocus" in form and '<ul class="errorlist">' in form
    assert _written() == before


def test_a_sliding_package_for_a_patient_without_a_class_is_refused_409_with_the_package_still_chosen(
    personas, offering, partner_offering, login
):
    before = _written()
    response = login(personas.front_desk).get(_sell_url(personas.patient), {"offering": partner_offering.pk})
    page = _page(response)
    assert response.status_code == 409
    assert "No package was sold. “Five massages” is priced at the patient's sliding-scale class" in _summary(page)
    assert f'<option value="{partner_offering.pk}" selected>' in _sale_form(page)
    assert _written() == before


def test_a_package_no_longer_sold_since_the_page_was_opened_is_refused_409_saying_so(
    personas, class_b, offering, partner_offering, login
):
    client = login(personas.front_desk)
    sent = {"offering": offering.pk, "submission_key": str(uuid.uuid4())}
    assert client.get(_sell_url(class_b), sent).status_code == 200
    offering.is_active = False  # retired meanwhile
    offering.save()
    before = _written()
    response = client.post(_sell_url(class_b), sent)
    assert response.status_code == 409
    assert "No package was sold. “10-week relaxation massage” is no longer sold." in _summary(_page(response))
    assert _written() == before


def test_a_package_sold_meanwhile_in_another_tab_is_refused_409_and_not_charged_twice(
    personas, class_b, offering, partner_offering, login
):
    client = login(personas.front_desk)
    sent = {"offering": offering.pk, "submission_key": str(uuid.uuid4())}
    assert client.get(_sell_url(class_b), sent).status_code == 200  # the confirmation, asked
    package_purchase(actor=personas.billing, patient=class_b, offering=offering)  # sold from another tab
    before = _written()
    response = client.post(_sell_url(class_b), sent)
    page = _page(response)
    assert response.status_code == 409
    assert "No package was sold. This patient already has an active “10-week relaxation massage” package." in page
    form = _sale_form(page)
    # The account as it now stands: the package held is no longer offered; the one still on sale is.
    assert f'value="{offering.pk}"' not in form and f'value="{partner_offering.pk}"' in form
    assert _written() == before


def test_a_sale_whose_submission_sold_another_package_comes_back_with_the_package_chosen_on_a_new_submission(
    personas, class_b, offering, partner_offering, login
):
    """Back to the account page after a sale, another package chosen: the form's key recorded the first sale. The
    page says so and gives the package chosen a submission of its own, so sending it again sells it."""
    client = login(personas.front_desk)
    key = str(uuid.uuid4())
    client.post(_sell_url(class_b), {"offering": offering.pk, "submission_key": key})
    before = _written()
    response = client.post(_sell_url(class_b), {"offering": partner_offering.pk, "submission_key": key})
    page = _page(response)
    assert response.status_code == 409
    assert "No package was sold. This submission already recorded the sale of “10-week relaxation massage”" in page
    form = _sale_form(page)
    assert f'<option value="{partner_offering.pk}" selected>' in form
    new_key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', form).group(1)
    assert new_key != key
    assert _written() == before
    sold = client.post(_sell_url(class_b), {"offering": partner_offering.pk, "submission_key": new_key})
    assert sold.status_code == 302
    assert PackagePurchase.objects.filter(offering=partner_offering).count() == 1


# --- refunding -------------------------------------------------------------------------------------------------------


@pytest.fixture
def sold(personas, class_b, offering) -> PackagePurchase:
    """The $200 class-B package, paid in cash."""
    package = package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    payment_record(actor=personas.front_desk, patient=class_b, method="cash", amount=package.price)
    return package


def test_a_refund_of_a_package_closed_meanwhile_is_refused_409_on_its_page_with_nothing_to_confirm(
    personas, sold, login
):
    client = login(personas.billing)
    assert client.get(_refund_url(sold)).status_code == 200
    package_refund(actor=personas.billing, purchase=sold, reason="Moving away")  # from another tab
    before = _written()
    response = client.post(_refund_url(sold), {"reason": "Moving", "submission_key": str(uuid.uuid4())})
    page = _page(response)
    assert response.status_code == 409
    summary = _summary(page)
    assert "Nothing was refunded. This package is cancelled (no session used, price credited)" in summary
    assert "nothing is left to refund" in summary
    assert 'action="/billing/packages/' not in page and "Refund $" not in page  # nothing left to confirm
    assert "$200.00" in page  # what its close credited
    assert _written() == before
    assert PackagePurchase.objects.get().status == PackageStatus.CANCELLED


def test_the_refund_page_of_a_closed_package_says_so_409_instead_of_sending_back_to_the_account(personas, sold, login):
    package_refund(actor=personas.billing, purchase=sold, reason="Moving away")
    response = login(personas.billing).get(_refund_url(sold))
    assert response.status_code == 409
    assert "nothing is left to refund" in _summary(_page(response))


def test_a_refund_without_a_reason_is_refused_422_with_the_summary_pointing_at_the_reason(personas, sold, login):
    before = _written()
    response = login(personas.billing).post(_refund_url(sold), {"reason": "  ", "submission_key": str(uuid.uuid4())})
    page = _page(response)
    assert response.status_code == 422
    assert "The package was not closed." in _summary(page) and 'href="#id_reason"' in _summary(page)
    assert re.search(r'<input[^>]*name="reason"[^>]*autofocus', page)
    assert _written() == before


def test_a_refund_with_too_little_paid_to_give_back_is_refused_422_with_the_reason_kept(
    personas, class_b, offering, login
):
    """$200 package, $150 credited on the account (not on the package), $50 paid: the $200 share cannot be given
    back from $50 of payments."""
    package = package_purchase(actor=personas.front_desk, patient=class_b, offering=offering)
    adjustment_post(actor=personas.billing, patient=class_b, kind="courtesy", amount="150", reason="Offer")
    payment_record(actor=personas.front_desk, patient=class_b, method="cash", amount="50.00")
    before = _written()
    key = str(uuid.uuid4())
    response = login(personas.billing).post(_refund_url(package), {"reason": "Moving away", "submission_key": key})
    page = _page(response)
    assert response.status_code == 422
    assert "The package was not closed. There are not enough payments to give" in _summary(page)
    assert 'name="reason" value="Moving away"' in page and f'value="{key}"' in page  # as typed, the same submission
    assert _written() == before
    assert PackagePurchase.objects.get().status == PackageStatus.ACTIVE


def test_a_refund_with_credit_on_account_meanwhile_is_refused_409_saying_to_refund_the_credit_first(
    personas, sold, login
):
    payment_record(actor=personas.front_desk, patient=sold.patient, method="cash", amount="50", credit_on_account=True)
    before = _written()
    response = login(personas.billing).post(_refund_url(sold), {"reason": "Moving away"})
    page = _page(response)
    assert response.status_code == 409
    assert "The package was not closed. The patient has $50.00 of credit on account." in _summary(page)
    assert "Refund that credit first" in page
    assert _written() == before


def test_a_refund_the_card_provider_refuses_comes_back_409_with_the_reason_kept_and_the_package_open(
    personas, offering, stripe_api, client, login
):
    from apps.billing.services.checkout import checkout_start

    from .stripe_standin import completed_event, webhook_post

    offering.slides_with_class = False
    offering.save()
    package = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient)
    assert webhook_post(client, completed_event(checkout)).status_code == 200
    stripe_api.mode = "refusing"
    before = _written()
    response = login(personas.billing).post(_refund_url(package), {"reason": "Moving away"})
    page = _page(response)
    assert response.status_code == 409
    assert "The package was not closed. The card provider refused the refund: Charge disputed." in _summary(page)
    assert "The package stays open" in _summary(page)
    assert 'name="reason" value="Moving away"' in page
    assert _written() == before
    assert PackagePurchase.objects.get().status == PackageStatus.ACTIVE
