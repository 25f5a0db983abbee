"""A signed-in member of staff's user and verified device are read in one query (apps/accounts/session_user.py), and
every change to either takes effect on the very next request: nothing about them is kept between requests."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.api_permissions import MFA_MESSAGE
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_trivial")]

PAGE = "/trivial/staff/"
API = "/api/rooms/"


@pytest.fixture
def staff(personas, login):
    """The front desk, signed in and past the challenge, with the device they passed it with."""
    client = login(personas.front_desk)
    assert client.get(PAGE).status_code == 200
    return client, personas.front_desk, TOTPDevice.objects.get(user=personas.front_desk, confirmed=True)


def _session_data(client) -> dict:
    return Session.objects.get(session_key=client.cookies["sessionid"].value).get_decoded()


def test_the_user_comes_with_the_device_in_one_query(staff):
    client, user, device = staff
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE).status_code == 200
    device_reads = [q["sql"] for q in captured.captured_queries if "otp_totp_totpdevice" in q["sql"]]
    assert len(device_reads) == 1
    assert '"accounts_user"' in device_reads[0]  # joined: the user is not read on its own
    assert not [q for q in captured.captured_queries if q["sql"].split(" FROM ")[1].startswith('"accounts_user"')]


def test_a_deleted_device_is_no_longer_verified_on_the_next_request(staff):
    client, user, device = staff
    device.delete()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/setup/")
    assert DEVICE_ID_SESSION_KEY not in _session_data(client)
    api = client.get(API)
    assert api.status_code == 403
    assert api.json()["error"]["message"] == MFA_MESSAGE


def test_a_device_no_longer_confirmed_is_no_longer_verified(staff):
    client, user, device = staff
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    assert client.get(PAGE)["Location"].startswith("/accounts/mfa/")
    assert DEVICE_ID_SESSION_KEY not in _session_data(client)


def test_a_device_given_to_someone_else_does_not_verify_its_former_owner(staff):
    client, user, device = staff
    TOTPDevice.objects.filter(pk=device.pk).update(user=UserFactory())
    assert client.get(PAGE)["Location"].startswith("/accounts/mfa/setup/")


def test_a_deactivated_account_is_signed_out_on_the_next_request(staff):
    client, user, device = staff
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_password_changed_elsewhere_signs_the_session_out(staff):
    client, user, device = staff
    user.set_password("another-password-2026")
    user.save(update_fields=["password"])
    response = client.get(PAGE)
    assert response["Location"].startswith("/accounts/login/")
    assert client.get(API).status_code == 403


def test_a_session_that_names_a_device_that_never_existed_is_not_verified(staff):
    client, user, device = staff
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = f"{TOTPDevice._meta.label_lower}/{device.pk + 10_000}"
    session.save()
    assert client.get(PAGE)["Location"].startswith("/accounts/mfa/verify/")


def test_a_role_removed_takes_effect_on_the_next_request(staff):
    """The user read with the device carries roles as any other: a member of staff no longer is one at once."""
    client, user, device = staff
    user.groups.clear()
    assert client.get(API).status_code == 403
