"""From the invitation email to the portal home: set a password, take or leave the two-step offer."""

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import PHONE, assert_accessible, follow, sign_in, sign_out
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a quiet lake at dawn"


def _code_for(secret: str) -> str:
    return f"{totp(base64.b32decode(secret)):06d}"


def test_invited_patient_sets_a_password_turns_on_two_step_and_signs_in_with_it(
    page, new_page, personas, mailoutbox, accounts_worker
):
    rosa = PatientFactory(legal_first_name="Rosa", legal_last_name="Quintero", email="rosa@example.test", user=None)

    sign_in(page, personas.front_desk)
    page.goto(f"/patients/{rosa.pk}/")
    page.get_by_role("button", name="Invite to portal").click()
    page.get_by_text("Invitation waiting to be sent").wait_for()
    accounts_worker.run()  # the worker emails the link
    page.reload()
    page.get_by_text("Invited · emailed").wait_for()

    link = re.search(r"https?://\S+/accounts/invite/\S+/", mailoutbox[-1].body).group(0)
    phone = new_page(PHONE)
    phone.goto(link)
    assert_accessible(phone)
    phone.get_by_label("New password").fill(NEW_PASSWORD)
    phone.get_by_label("Repeat password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Set password and continue").click()

    phone.get_by_role("heading", name="Hello, Rosa").wait_for()
    for card in ("Your next session", "Billing", "Group programs", "Questionnaires and journal", "Your details"):
        phone.get_by_role("region", name=card).wait_for()
    offer = phone.get_by_role("region", name="Optional: add two-step sign-in")
    assert_accessible(phone)
    follow(phone, offer.get_by_role("link", name="Set up two-step sign-in"))
    assert_accessible(phone)
    secret = phone.get_by_test_id("totp-secret").inner_text()
    phone.get_by_label("6-digit code from your authenticator app").fill(_code_for(secret))
    phone.get_by_role("button", name="Turn on").click()
    phone.get_by_text("Two-step sign-in is on.").wait_for()
    assert phone.get_by_role("region", name="Optional: add two-step sign-in").count() == 0

    sign_out(phone)
    device = TOTPDevice.objects.get(user__email="rosa@example.test", confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    phone.get_by_label("Email").fill("rosa@example.test")
    phone.get_by_label("Password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.get_by_label("6-digit code from your authenticator app").fill(_code_for(secret))
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Hello, Rosa").wait_for()


def test_a_patient_can_decline_two_step_sign_in_and_is_not_asked_again(page, personas):
    sign_in(page, personas.patient_user)
    offer = page.get_by_role("region", name="Optional: add two-step sign-in")
    offer.get_by_role("button", name="Not now").click()
    page.get_by_text("You can turn on two-step sign-in any time under Settings.").wait_for()

    sign_out(page)
    sign_in(page, personas.patient_user)
    page.get_by_role("heading", name="Hello, Pat").wait_for()
    assert page.get_by_role("region", name="Optional: add two-step sign-in").count() == 0
