"""The Django admin is no way to pass someone else's second factor: it never shows a device's secret, and it cannot
make, re-key or confirm a device for anyone. It may only remove a device (a lost phone), which sends its owner back
to enrolment with their own password."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapists_device(personas):
    return TOTPDevice.objects.create(user=personas.therapist, name="phone", confirmed=True)


def test_the_admin_never_shows_a_devices_secret(superuser_admin, therapists_device):
    key = therapists_device.key
    pages = [
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{therapists_device.pk}/change/",
        f"/admin/otp_totp/totpdevice/{therapists_device.pk}/config/",
        f"/admin/otp_totp/totpdevice/{therapists_device.pk}/qrcode/",
    ]
    for url in pages:
        response = superuser_admin.get(url, follow=True)
        assert key not in response.content.decode(errors="replace"), url
        assert "otpauth://" not in response.content.decode(errors="replace"), url
        assert response.get("Content-Type", "").startswith("text/html"), url  # no QR code image either


def test_the_admin_cannot_give_someone_a_device_of_its_choosing(superuser_admin, personas):
    chosen_key = "00" * 20
    assert superuser_admin.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    response = superuser_admin.post(
        "/admin/otp_totp/totpdevice/add/",
        {
            "user": personas.front_desk.pk,
            "name": "not theirs",
            "confirmed": "on",
            "key": chosen_key,
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
            "throttling_failure_count": 0,
        },
    )
    assert response.status_code == 403
    assert not TOTPDevice.objects.filter(user=personas.front_desk).exists()
    assert superuser_admin.get("/admin/otp_static/staticdevice/add/").status_code in {403, 404}
    assert not StaticDevice.objects.exists()


def test_the_admin_cannot_re_key_or_confirm_a_device(superuser_admin, personas, therapists_device):
    pending = TOTPDevice.objects.create(user=personas.front_desk, name="pending", confirmed=False)
    for device in (therapists_device, pending):
        url = f"/admin/otp_totp/totpdevice/{device.pk}/change/"
        response = superuser_admin.post(
            url,
            {
                "user": device.user_id,
                "name": device.name,
                "confirmed": "on",
                "key": "00" * 20,
                "step": 30,
                "t0": 0,
                "digits": 6,
                "tolerance": 1,
                "drift": 0,
                "throttling_failure_count": 0,
            },
        )
        assert response.status_code == 403
    therapists_device.refresh_from_db()
    pending.refresh_from_db()
    assert therapists_device.key != "00" * 20
    assert not pending.confirmed


def test_removing_a_lost_device_sends_its_owner_back_to_enrolment(superuser_admin, personas, therapists_device):
    response = superuser_admin.post(f"/admin/otp_totp/totpdevice/{therapists_device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.therapist).exists()


def test_a_removed_device_no_longer_passes_the_challenge(client, personas, therapists_device):
    code = f"{totp(therapists_device.bin_key):06d}"
    therapists_device.delete()
    client.force_login(personas.therapist, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/accounts/mfa/verify/", {"token": code})
    assert response.status_code == 422  # the form again: no device, no pass
    assert "That code did not match." in response.content.decode()


def test_removing_a_device_is_in_the_access_log(superuser_admin, personas, therapists_device):
    from apps.audit.models import AccessLog

    superuser_admin.post(f"/admin/otp_totp/totpdevice/{therapists_device.pk}/delete/", {"post": "yes"})
    row = AccessLog.objects.get(action="mfa_device_remove")
    assert (row.actor, row.subject_id) == (personas.admin, str(personas.therapist.pk))
