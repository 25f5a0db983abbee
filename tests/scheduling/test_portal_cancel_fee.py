"""The portal's late-cancellation confirmation states the fee it will charge: the figure the cancellation's own
preview prices, which is the figure the charge posts, and the figure the front desk's confirmation states."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.billing.models import Charge
from apps.scheduling.models import Appointment

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def inside_window(session, frozen_now):
    """Three hours before the session: inside the 24-hour cancellation window."""
    frozen_now.move_to(at(MONDAY, 7))
    return session


def _portal_cancel_url(appointment) -> str:
    return reverse("portal:sessions:cancel", args=[appointment.pk])


def _fee_shown(page: str) -> Decimal:
    [amount] = re.findall(r"a late-cancellation fee of <strong>\$([\d,]+\.\d\d)</strong>", page)
    return Decimal(amount.replace(",", ""))


def test_the_portal_late_cancel_confirmation_states_the_fee_the_cancellation_then_charges(priced, inside_window, login):
    client = login(priced.patient_user)

    page = client.get(_portal_cancel_url(inside_window)).content.decode()
    shown = _fee_shown(page)
    assert "Cancel and accept the fee" in page

    after = client.post(_portal_cancel_url(inside_window), {"reason": "Flu"}, follow=True).content.decode()

    charge = Charge.objects.get(appointment=inside_window, kind="late_cancel")
    assert shown == charge.amount == Decimal("40.00")  # class C: 40% of the $100 policy fee
    assert "a fee of $40.00 was charged to your account" in after
    assert Appointment.objects.get(pk=inside_window.pk).status == "late_cancelled"


def test_the_portal_and_the_front_desk_state_the_same_late_cancel_fee(priced, inside_window, login):
    portal = login(priced.patient_user).get(_portal_cancel_url(inside_window)).content.decode()
    staff = login(priced.front_desk).post(
        reverse("scheduling:appointment_cancel", args=[inside_window.pk]), {"reason": "Flu"}
    )
    assert "$40.00" in staff.content.decode() and _fee_shown(portal) == Decimal("40.00")


def test_a_late_cancel_a_package_covers_says_a_package_session_is_used_not_a_fee(
    priced, packaged, inside_window, login
):
    client = login(priced.patient_user)

    page = client.get(_portal_cancel_url(inside_window)).content.decode()

    assert "This is a late cancellation" in page and "one session of your package is used" in page
    assert "late-cancellation fee of" not in page and "accept the fee" not in page
    after = client.post(_portal_cancel_url(inside_window), follow=True).content.decode()
    assert Charge.objects.get(appointment=inside_window).amount == Decimal("0.00")
    assert "one session of your package was used for it" in after and "was charged" not in after


def test_a_late_cancel_with_no_fee_set_says_none_will_be_charged(clinic, inside_window, login):
    client = login(clinic.patient_user)

    page = client.get(_portal_cancel_url(inside_window)).content.decode()

    assert "This is a late cancellation" in page and "no fee will be charged" in page
    assert "late-cancellation fee of" not in page and "accept the fee" not in page
    client.post(_portal_cancel_url(inside_window))
    assert not Charge.objects.exists()
