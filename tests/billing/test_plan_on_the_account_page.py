"""A payment plan on the staff account page: each instalment's state in words (as the portal shows it), and a plan
set up by mistake or no longer wanted is cancelled from the page after a confirmation."""

import datetime as dt
import html
import re

import pytest

from apps.billing.models import PaymentPlan, PlanStatus
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.billing.services.plans import payment_plan_create
from apps.core import clock

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(personas, fee_config):
    """$400 owed in two $200 instalments, the first due in a week; $50 paid against it."""
    for days in (2, 9):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days), actor=None
        )
    plan = payment_plan_create(
        actor=personas.front_desk,
        patient=personas.patient,
        instalments=2,
        first_due=clock.local_now().date() + dt.timedelta(days=7),
    )
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="250", plan=plan)
    return plan


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_account_page_words_each_instalments_state_as_the_portal_does(personas, plan, login):
    staff = _text(login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/"))
    portal = _text(login(personas.patient_user).get("/portal/billing/"))
    assert "$200.00 — Paid" in staff and "$200.00 Paid" in portal
    assert "$200.00 — Due" in staff and "$200.00 Due" in portal
    assert not re.search(r"— (paid|due|overdue)\b", staff)


def test_a_plan_is_cancelled_from_the_account_page_only_once_confirmed(personas, plan, login):
    client = login(personas.front_desk)
    url = f"/billing/plans/{plan.pk}/cancel/"
    assert f'action="{url}"' in client.get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    asked = client.post(url, {})
    assert asked.status_code == 200 and "Cancel Pat Ient's payment plan?" in _text(asked)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    done = client.post(url, {"confirmed": "yes"}, follow=True)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and "Payment plan cancelled." in _text(done)
    assert "Split the balance" in _text(done)  # the balance can be split again
    again = client.post(url, {"confirmed": "yes"}, follow=True)
    assert (
        again.status_code == 409
        and "The payment plan was not cancelled. Only an active plan can be cancelled." in _text(again)
    )


def test_a_patient_or_a_therapist_cannot_cancel_a_plan(personas, plan, login):
    for user in (personas.patient_user, personas.therapist):
        answer = login(user).post(f"/billing/plans/{plan.pk}/cancel/", {"confirmed": "yes"})
        assert answer.status_code in (403, 404)
    assert PaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE
