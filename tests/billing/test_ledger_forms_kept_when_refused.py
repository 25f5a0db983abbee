"""A form of the account page that is refused, by its own checks or by the service, comes back as it was typed with
the refusal said once, next to the field it is about, and that field in focus; the page's other forms are new."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from apps.billing.models import Adjustment, BillingProfile, GoodFaithEstimate, Payment, PaymentPlan
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.diagnoses import billing_profile_set
from apps.core import clock

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(personas, fee_config):
    """Two individual sessions at the full fee: $400 owed."""
    for days_ago in (10, 3):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days_ago),
            actor=None,
        )
    assert patient_balance(patient=personas.patient) == Decimal("400.00")
    return personas.patient


def _url(patient, tail: str = "") -> str:
    return f"/billing/patients/{patient.pk}/{tail}"


def _form(page: str, action: str) -> str:
    """The HTML of the form posting to `action`."""
    start = page.index(f'action="{action}"')
    return page[start : page.index("</form>", start)]


def _typed(form: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return html.unescape(value.group(1)) if value else ""


def _chosen(form: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', form, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else ""


def _errors(form: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'<ul class="errorlist[^"]*">\s*<li>(.*?)</li>', form)]


def _focused(form: str) -> str:
    """The name of the field of `form` the page puts the focus in."""
    found = re.search(r"<(?:input|select)[^>]*\bautofocus\b[^>]*>", form)
    assert found, "no field of the refused form is focused"
    return re.search(r'name="([^"]*)"', found.group(0)).group(1)


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _page(response) -> str:
    return response.content.decode()


# --- Post adjustment ------------------------------------------------------------------------------------------------


def test_a_refused_adjustment_comes_back_as_typed_with_the_reason_on_the_amount(owing, personas, login):
    client = login(personas.billing)
    response = client.post(_url(owing, "adjustments/"), {"kind": "courtesy", "amount": "-50", "reason": "Hardship"})
    assert response.status_code == 422
    form = _form(_page(response), _url(owing, "adjustments/"))
    assert (_chosen(form, "kind"), _typed(form, "amount"), _typed(form, "reason")) == ("courtesy", "-50", "Hardship")
    assert _errors(form) == ["Enter an amount of at least $0.01."]
    assert _focused(form) == "amount"
    assert not _said(response)  # said once, on the form, not again at the top of the page
    assert not Adjustment.objects.exists()


@pytest.mark.parametrize("confirmed", [False, True], ids=["asked", "confirmed"])
def test_an_adjustment_the_service_refuses_comes_back_with_its_submission(owing, personas, login, confirmed):
    client = login(personas.billing)
    key = re.search(
        r'name="submission_key" value="([0-9a-f-]{36})"',
        _form(_page(client.get(_url(owing))), _url(owing, "adjustments/")),
    )
    sent = {"kind": "write_off", "amount": "5000", "reason": "Hardship", "submission_key": key.group(1)}
    response = client.post(_url(owing, "adjustments/"), {**sent, **({"confirmed": "yes"} if confirmed else {})})
    assert response.status_code == 422
    form = _form(_page(response), _url(owing, "adjustments/"))
    assert _typed(form, "amount") == "5000" and _typed(form, "reason") == "Hardship"
    assert _typed(form, "submission_key") == sent["submission_key"]  # corrected, it is still the one submission
    assert [error for error in _errors(form) if "$400.00" in error] == [_errors(form)[0]]  # above the fields
    assert _focused(form) == "amount"  # whose own words ("More than the balance.") are by it
    assert not _said(response)
    assert not Adjustment.objects.exists()


def test_a_form_whose_submission_key_was_tampered_with_says_so_on_the_form(owing, personas, login):
    sent = {"kind": "courtesy", "amount": "50", "reason": "Hardship", "submission_key": "not-a-key"}
    response = login(personas.billing).post(_url(owing, "adjustments/"), sent)
    assert response.status_code == 422
    form = _form(_page(response), _url(owing, "adjustments/"))
    assert _errors(form) == ["This form is out of date: reload the page and enter it again."]
    assert _typed(form, "amount") == "50"
    assert not Adjustment.objects.exists()


# --- Payment plan ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"instalments": "0"}, "instalments"), ({"first_due": "1990-01-01"}, "first_due")],
    ids=["no-instalments", "due-long-ago"],
)
def test_a_refused_plan_comes_back_as_typed_with_the_reason_on_its_field(owing, personas, login, changes, field):
    first_due = clock.local_now().date() + dt.timedelta(days=7)
    sent = {"instalments": "4", "first_due": first_due.isoformat(), "every_days": "14", **changes}
    response = login(personas.billing).post(_url(owing, "plan/"), sent)
    assert response.status_code == 422
    form = _form(_page(response), _url(owing, "plan/"))
    assert {name: _typed(form, name) for name in sent} == sent
    assert len(_errors(form)) == 1
    assert _focused(form) == field
    assert not _said(response)
    assert not PaymentPlan.objects.exists()


# --- Good Faith Estimate --------------------------------------------------------------------------------------------


def test_a_refused_estimate_comes_back_as_typed_with_the_reason_by_its_dates(owing, personas, fee_config, login):
    start = clock.local_now().date() + dt.timedelta(days=14)
    sent = {
        "service_type": str(fee_config["90834"].pk),
        "therapist": str(personas.therapist.pk),
        "expected_count": "8",
        "period_start": start.isoformat(),
        "period_end": (start - dt.timedelta(days=3)).isoformat(),
    }
    response = login(personas.billing).post(_url(owing, "estimates/"), sent)
    assert response.status_code == 422
    page = _page(response)
    form = _form(page, _url(owing, "estimates/"))
    assert (_chosen(form, "service_type"), _chosen(form, "therapist")) == (sent["service_type"], sent["therapist"])
    assert [_typed(form, name) for name in ("expected_count", "period_start", "period_end")] == [
        sent["expected_count"],
        sent["period_start"],
        sent["period_end"],
    ]
    assert _errors(form) == ["The period ends before it starts."]  # once, by the field, not again above the form
    assert _focused(form) == "period_end"
    assert not _said(response)
    assert '<h2 id="gfe-h">Good Faith Estimates</h2>' in page
    # The page's other forms are as new: nothing of this one in them, nothing in focus.
    for other in ("payments/", "adjustments/", "plan/"):
        assert not _errors(_form(page, _url(owing, other)))
        assert "autofocus" not in _form(page, _url(owing, other))
    assert _typed(_form(page, _url(owing, "adjustments/")), "amount") == ""
    assert _typed(_form(page, _url(owing, "plan/")), "instalments") == "3"
    assert not GoodFaithEstimate.objects.exists()


# --- Record payment -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("-5", "Enter an amount of at least $0.01."), ("5000", "is more than the balance:")],
    ids=["form", "service"],
)
def test_a_refused_payment_says_why_once_on_its_form(owing, personas, login, amount, reason):
    response = login(personas.front_desk).post(_url(owing, "payments/"), {"method": "cash", "amount": amount})
    assert response.status_code == 422
    page = _page(response)
    form = _form(page, _url(owing, "payments/"))
    assert _typed(form, "amount") == amount and _chosen(form, "method") == "cash"
    assert any(reason in error for error in _errors(form))
    assert page.count(reason) == 1
    assert not _said(response)
    assert not Payment.objects.exists()


# --- Diagnosis codes ------------------------------------------------------------------------------------------------


def test_refused_diagnosis_codes_come_back_as_typed_with_the_reason_by_the_field(owing, personas, login):
    billing_profile_set(actor=personas.billing, patient=owing, diagnosis_codes=["F45.41"])
    client = login(personas.billing)
    response = client.post(_url(owing, "diagnoses/"), {"diagnosis_codes": "M54.50, XYZ"})
    assert response.status_code == 422
    page = _page(response)
    form = _form(page, _url(owing, "diagnoses/"))
    assert _typed(form, "diagnosis_codes") == "M54.50, XYZ"
    assert _errors(form) == ["Not ICD-10 codes: XYZ", "Use codes like F45.41 or M54.50."]
    assert _focused(form) == "diagnosis_codes"
    assert not _said(response)
    assert "autofocus" not in _form(page, _url(owing, "payments/"))
    assert BillingProfile.objects.get(patient=owing).diagnosis_codes == ["F45.41"]
    # Loaded anew, the field shows the codes saved, as before.
    assert _typed(_form(_page(client.get(_url(owing))), _url(owing, "diagnoses/")), "diagnosis_codes") == "F45.41"


def test_more_diagnosis_codes_than_a_superbill_letters_come_back_as_typed_with_the_reason(owing, personas, login):
    billing_profile_set(actor=personas.billing, patient=owing, diagnosis_codes=["F45.41"])
    typed = ", ".join(f"F{40 + n}.1" for n in range(13))
    client = login(personas.billing)
    response = client.post(_url(owing, "diagnoses/"), {"diagnosis_codes": typed})
    assert response.status_code == 422
    form = _form(_page(response), _url(owing, "diagnoses/"))
    assert _typed(form, "diagnosis_codes") == typed
    assert _errors(form) == [
        "A superbill letters twelve diagnoses (A to L); these are 13.",
        "Keep the twelve that matter most, primary first.",
    ]
    assert _focused(form) == "diagnosis_codes"
    assert BillingProfile.objects.get(patient=owing).diagnosis_codes == ["F45.41"]
