"""Paying by card in the portal: an amount that cannot be paid is refused with its own reason, on the field, and
the page keeps what the patient typed (the same reading of an amount as the front desk's payment form)."""

import datetime as dt
import html
import re

import pytest

from apps.billing.models import CheckoutSession
from apps.billing.services.plans import payment_plan_create
from apps.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing_patient(owing_patient, settings):
    """Owes $200 for one full-fee session, and the portal takes cards (the sandbox)."""
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"
    return owing_patient


def _form(body: str, action: str) -> str:
    """The HTML of the form posting to `action`."""
    start = body.index(f'action="{action}"')
    return body[start : body.index("</form>", start)]


def _typed(form: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
    return html.unescape(re.search(r'value="([^"]*)"', tag).group(1))


def _field_errors(form: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'<ul class="errorlist">\s*<li>(.*?)</li>', form)]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "Enter an amount like 120.00."),
        ("12.345", "Enter an amount like 120.00."),
        ("-5", "Enter an amount of at least $0.01."),
        ("0", "Enter an amount of at least $0.01."),
        ("99999999", "Enter an amount of at most $9,999,999.99."),
    ],
)
def test_an_amount_that_is_not_payable_is_refused_on_the_field_and_kept(owing_patient, personas, login, typed, reason):
    response = login(personas.patient_user).post("/portal/billing/pay/", {"amount": typed})

    assert response.status_code == 422
    form = _form(response.content.decode(), "/portal/billing/pay/")
    assert _field_errors(form) == [reason]
    assert _typed(form, "amount") == typed
    assert "Enter an amount to pay." not in response.content.decode()
    assert not CheckoutSession.objects.exists()


def test_more_than_the_balance_is_refused_naming_the_balance_and_the_amount_is_kept(owing_patient, personas, login):
    response = login(personas.patient_user).post("/portal/billing/pay/", {"amount": "250.00"})

    assert response.status_code == 422
    body = response.content.decode()
    form = _form(body, "/portal/billing/pay/")
    # The refusal as a whole is said once, in the summary at the top of the page, the field's own words on it.
    summary = body[body.index('id="error-summary"') : body.index("</div>", body.index('id="error-summary"'))]
    assert "That is more than the balance of $200.00." in html.unescape(summary)
    assert "That is more than the balance of $200.00." not in html.unescape(form)
    assert _field_errors(form) == ["More than you owe."]
    assert _typed(form, "amount") == "250.00"
    assert not CheckoutSession.objects.exists()


def test_a_payable_amount_still_goes_to_the_card_page(owing_patient, personas, login, settings):
    response = login(personas.patient_user).post("/portal/billing/pay/", {"amount": "$150"})

    checkout = CheckoutSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{settings.SITE_URL}/portal/billing/pay/{checkout.pk}/sandbox/"
    assert str(checkout.amount) == "150.00"


def test_a_refused_instalment_keeps_its_own_amount_and_leaves_the_pay_form_as_it_was(owing_patient, personas, login):
    payment_plan_create(
        actor=personas.front_desk,
        patient=owing_patient,
        instalments=2,
        first_due=clock.local_now().date() + dt.timedelta(days=10),
        total="200",
    )

    response = login(personas.patient_user).post("/portal/billing/pay/instalment/", {"instalment-amount": "1e3"})

    assert response.status_code == 422
    body = response.content.decode()
    instalment = _form(body, "/portal/billing/pay/instalment/")
    assert _field_errors(instalment) == ["Enter an amount like 120.00."]
    assert _typed(instalment, "instalment-amount") == "1e3"
    pay = _form(body, "/portal/billing/pay/")
    assert _field_errors(pay) == []
    assert _typed(pay, "amount") == "200.00"
