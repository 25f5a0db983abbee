"""Two-step sign-in is offered to patients, never forced, and enforced once they turn it on."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AccessLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    return f"{totp(device.bin_key):06d}"


def _sign_in_with_password(client, user) -> None:
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_new_patient_sees_the_offer_and_can_say_not_now(personas, login):
    client = login(personas.patient_user)
    assert "Optional: add two-step sign-in" in client.get("/portal/").content.decode()

    client.post("/portal/two-step/not-now/")

    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Optional: add two-step sign-in" not in home.content.decode()


def test_a_patient_without_two_step_reaches_every_page_with_a_password_alone(personas, client):
    _sign_in_with_password(client, personas.patient_user)

    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/settings/").status_code == 200


def test_patient_turns_on_two_step_and_sign_in_then_asks_for_the_code(personas, login, client):
    patient_client = login(personas.patient_user)
    assert patient_client.get("/portal/settings/two-step/").status_code == 200
    device = TOTPDevice.objects.get(user=personas.patient_user, confirmed=False)

    wrong_code = "000000" if _code(device) != "000000" else "111111"
    wrong = patient_client.post("/portal/settings/two-step/", {"token": wrong_code})
    assert "did not match" in wrong.content.decode()
    # django-otp throttles after a failure; a patient would simply wait a moment.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    done = patient_client.post("/portal/settings/two-step/", {"token": _code(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AccessLog.objects.filter(actor=personas.patient_user, action="two_step_on").count() == 1

    _sign_in_with_password(client, personas.patient_user)
    challenged = client.get("/portal/billing/")
    assert challenged.status_code == 302
    assert challenged["Location"].startswith("/accounts/mfa/verify/?next=/portal/billing/")
    assert client.get("/api/patients/").status_code == 403

    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    client.post("/accounts/mfa/verify/", {"token": _code(device)})
    assert client.get("/portal/").status_code == 200


def test_patient_turns_two_step_off_again_with_a_fresh_code(personas, login):
    device = TOTPDevice.objects.create(user=personas.patient_user, name="phone", confirmed=True)
    client = login(personas.patient_user)
    # The test client signs in without the code; the middleware asks for it first.
    assert client.get("/portal/settings/").status_code == 302
    client.post("/accounts/mfa/verify/", {"token": _code(device)})

    refused = client.post("/portal/settings/two-step/off/", {"token": "12345"})
    assert refused.status_code == 422
    assert "Two-step sign-in is still on." in refused.content.decode()
    assert TOTPDevice.objects.filter(user=personas.patient_user).exists()

    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    client.post("/portal/settings/two-step/off/", {"token": _code(device)})

    assert not TOTPDevice.objects.filter(user=personas.patient_user).exists()
    assert client.get("/portal/settings/").status_code == 200
    assert list(AccessLog.objects.filter(actor=personas.patient_user).values_list("action", flat=True)) == [
        "two_step_off"
    ]


def test_staff_cannot_use_the_patient_two_step_pages(personas, login):
    client = login(personas.front_desk)

    assert client.get("/portal/settings/two-step/").status_code == 403
    assert client.post("/portal/settings/two-step/off/").status_code == 403
    assert TOTPDevice.objects.filter(user=personas.front_desk, confirmed=True).exists()


def test_a_patient_with_two_step_cannot_enrol_another_device_with_the_password_alone(personas, client):
    TOTPDevice.objects.create(user=personas.patient_user, name="phone", confirmed=True)
    _sign_in_with_password(client, personas.patient_user)

    setup = client.get("/accounts/mfa/setup/")

    assert setup["Location"].startswith("/accounts/mfa/verify/")
    assert not TOTPDevice.objects.filter(user=personas.patient_user, confirmed=False).exists()
    assert client.get("/portal/").status_code == 302


def test_before_the_code_a_patient_reaches_only_signing_in_and_out_and_the_code_check(personas, client):
    TOTPDevice.objects.create(user=personas.patient_user, name="phone", confirmed=True)
    _sign_in_with_password(client, personas.patient_user)

    for path in ("/accounts/tokens/", "/accounts/users/", "/portal/settings/two-step/"):
        assert client.get(path)["Location"].startswith(f"/accounts/mfa/verify/?next={path}"), path
    assert client.get("/accounts/mfa/verify/").status_code == 200
