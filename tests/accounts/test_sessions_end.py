"""Signing out of other devices: a patient from the portal's Settings, a member of staff from Your sign-in, an admin
for a staff member from their staff page, and on their own when a patient's sign-in email changes, a patient turns
on two-step sign-in or an authenticator is removed in the Django admin. Each uses two real clients signed in as the
same person: the other one is sent to sign in at its next request, the one that acted stays signed in. Sessions are
not listed per account; the account's sessions generation in the session auth hash ends them
(services.sessions_end_others)."""

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import RequestFactory
from django.utils.crypto import salted_hmac
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from apps.accounts import sign_in_email_links
from apps.accounts.models import User
from apps.accounts.services import sessions_end_others, sign_in_email_change_ask
from apps.accounts.session_user import _accepted_device
from apps.audit.models import AccessLog
from apps.core.sessions import SessionStore
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

PORTAL = "/portal/"
STAFF_PAGE = "/trivial/staff/"
OWN_SIGN_IN = "/accounts/sign-in/"


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _ended(user, *, because: str, actor=None) -> AccessLog:
    return AccessLog.objects.get(
        action="sessions_end", actor=actor or user, subject_id=str(user.pk), detail__because=because
    )


def _session_of(client) -> SessionStore:
    return SessionStore(session_key=client.cookies["sessionid"].value)


def _fast_path_device(client) -> TOTPDevice | None:
    """What the fast path (session_user) makes of the client's session as it is stored now."""
    request = RequestFactory().get(STAFF_PAGE)
    request.session = _session_of(client)
    return _accepted_device(request)


def test_a_counter_at_zero_is_djangos_own_hash_so_sessions_made_before_stay(personas, login):
    user = personas.patient_user
    assert user.sessions_generation == 0
    djangos = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", user.password, algorithm="sha256"
    ).hexdigest()
    assert user.get_session_auth_hash() == djangos == AbstractBaseUser.get_session_auth_hash(user)
    client = login(user)
    session = _session_of(client)
    session["_auth_user_hash"] = djangos  # as Django wrote it before the counter existed
    session.save()
    assert client.get(PORTAL).status_code == 200

    user.sessions_generation = 1
    assert user.get_session_auth_hash() != djangos
    assert list(user.get_session_auth_fallback_hash()) == []


def test_sessions_made_under_a_secret_key_being_rotated_out_still_count_the_generation(personas, login, settings):
    user = personas.patient_user
    User.objects.filter(pk=user.pk).update(sessions_generation=3)
    client = login(User.objects.get(pk=user.pk))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-for-the-rotation-" + "x" * 30
    assert client.get(PORTAL).status_code == 200  # the old key's hash still matches, and is replaced

    sessions_end_others(actor=user, user=user, because="asked")
    assert _signed_out(client.get(PORTAL))


def test_a_patient_signs_out_of_other_devices_from_settings(personas, login):
    user = personas.patient_user
    here, elsewhere = login(user), login(user)
    page = here.get("/portal/settings/").content.decode()
    assert "Sign out of other devices" in page and "You stay signed in here." in page

    done = here.post("/portal/settings/sign-out-others/")

    assert done.status_code == 302 and done["Location"] == "/portal/settings/"
    followed = here.get("/portal/settings/")
    assert followed.status_code == 200
    assert "You are signed out on every other browser and device." in followed.content.decode()
    assert _signed_out(elsewhere.get(PORTAL))
    assert here.get(PORTAL).status_code == 200
    assert _ended(user, because="asked").detail["current_kept"] is True


def test_signing_out_of_other_devices_is_a_post(personas, login):
    client = login(personas.patient_user)
    assert client.get("/portal/settings/sign-out-others/").status_code == 405
    assert client.get("/accounts/sign-in/sign-out-others/").status_code == 405
    assert not AccessLog.objects.filter(action="sessions_end").exists()


@pytest.mark.urls("tests.core.urls_trivial")
def test_staff_sign_out_of_other_devices_through_the_fast_path(personas, login):
    user = personas.front_desk
    here, elsewhere = login(user), login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert _fast_path_device(here) == device and _fast_path_device(elsewhere) == device
    page = here.get("/accounts/sign-in/")
    assert page.status_code == 200
    assert "Sign out of other devices" in page.content.decode()
    assert 'href="/accounts/sign-in/">Your sign-in</a>' in page.content.decode()  # from the menu on every page

    done = here.post("/accounts/sign-in/sign-out-others/")

    assert done.status_code == 302 and done["Location"] == "/accounts/sign-in/"
    assert _fast_path_device(elsewhere) is None  # its hash is the old one: not taken on the fast path
    assert _fast_path_device(here) == device  # the kept session, with its new hash, still is
    assert _signed_out(elsewhere.get(STAFF_PAGE))  # Django's own check refuses it, to sign in, not to the code
    assert here.get(STAFF_PAGE).status_code == 200
    assert "You are still signed in here." in here.get("/accounts/sign-in/").content.decode()
    assert _ended(user, because="asked").detail["current_kept"] is True


def test_a_patient_has_no_staff_sign_in_page(personas, login):
    client = login(personas.patient_user)
    assert client.get("/accounts/sign-in/").status_code == 403
    assert client.post("/accounts/sign-in/sign-out-others/").status_code == 403
    assert "/accounts/sign-in/" not in client.get(PORTAL).content.decode()


def test_an_admin_signs_a_staff_member_out_everywhere_after_confirming(personas, login):
    member = personas.therapist
    theirs, their_phone = login(member), login(member)
    token = api_token_for(member)
    admin = login(personas.admin)
    page = admin.get(f"/accounts/users/{member.pk}/").content.decode()
    assert "Sign out everywhere…" in page

    asked = admin.post(f"/accounts/users/{member.pk}/sign-out-everywhere/")
    assert asked.status_code == 200
    assert f"Sign {member.full_name} out everywhere?" in asked.content.decode()
    assert theirs.get(OWN_SIGN_IN).status_code == 200  # asking changed nothing

    done = admin.post(f"/accounts/users/{member.pk}/sign-out-everywhere/", {"confirmed": "yes"})

    assert done.status_code == 302
    assert f"{member.full_name} is signed out everywhere" in admin.get(done["Location"]).content.decode()
    assert _signed_out(theirs.get(OWN_SIGN_IN)) and _signed_out(their_phone.get(OWN_SIGN_IN))
    assert admin.get("/accounts/users/").status_code == 200  # the admin's own sign-in is not touched
    row = _ended(member, because="ended_by_admin", actor=personas.admin)
    assert row.detail["current_kept"] is False
    # An API token is a credential of its own: revoked on the token page, not by signing out.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/rooms/").status_code == 200


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user"])
def test_only_an_admin_signs_someone_else_out_everywhere(personas, login, persona):
    member = personas.front_desk if persona != "front_desk" else personas.billing
    theirs = login(member)
    client = login(getattr(personas, persona))

    refused = client.post(f"/accounts/users/{member.pk}/sign-out-everywhere/", {"confirmed": "yes"})

    assert refused.status_code == 403
    assert theirs.get(OWN_SIGN_IN).status_code == 200
    assert User.objects.get(pk=member.pk).sessions_generation == 0
    assert not AccessLog.objects.filter(action="sessions_end").exists()


def test_confirming_a_new_sign_in_email_signs_the_patient_out_everywhere_else(personas, login):
    user = personas.patient_user
    here, elsewhere = login(user), login(user)
    row = sign_in_email_change_ask(user=user, email="pat.new@example.test")
    link = f"/portal/settings/sign-in-email/{sign_in_email_links.confirm_token(row)}/"
    assert "Every other browser and device you are signed in on is signed out" in here.get(link).content.decode()

    done = here.post(link, {})

    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).email == "pat.new@example.test"
    assert "Every other browser and device" in here.get("/portal/settings/").content.decode()
    assert _signed_out(elsewhere.get(PORTAL))
    assert here.get(PORTAL).status_code == 200
    assert _ended(user, because="sign_in_email_change").detail["current_kept"] is True


def test_turning_on_two_step_signs_the_patient_out_everywhere_else(personas, login):
    user = personas.patient_user
    here, elsewhere = login(user), login(user)
    page = here.get("/portal/settings/two-step/")
    assert "Turning it on signs you out on every other browser and device" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    done = here.post("/portal/settings/two-step/", {"token": f"{totp(device.bin_key):06d}"})

    assert done.status_code == 302
    # The other browser never gave a code: it signs in again, and is asked for one.
    assert _signed_out(elsewhere.get(PORTAL))
    assert here.get(PORTAL).status_code == 200
    assert _ended(user, because="two_step_on").detail["current_kept"] is True


def test_removing_a_staff_members_authenticator_in_the_django_admin_signs_them_out(personas, login, superuser_admin):
    member = personas.therapist
    theirs = login(member)
    device = TOTPDevice.objects.get(user=member, confirmed=True)

    superuser_admin.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})

    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    # Not sent to set up a new device in the session left behind (which a lost phone's session could do): signed out.
    assert _signed_out(theirs.get(OWN_SIGN_IN))
    assert superuser_admin.get("/admin/").status_code == 200
    assert _ended(member, because="authenticator_removed", actor=personas.admin).detail["current_kept"] is False


def test_an_unknown_reason_or_someone_elses_session_is_refused(personas, rf):
    user = personas.patient_user
    with pytest.raises(ValueError):
        sessions_end_others(actor=user, user=user, because="whim")
    request = rf.get("/")
    request.user = personas.front_desk
    with pytest.raises(ValueError):
        sessions_end_others(actor=user, user=user, because="asked", keep=request)
    assert User.objects.get(pk=user.pk).sessions_generation == 0


def _details_of(member, **changes) -> dict:
    return {"first_name": member.first_name, "last_name": member.last_name, "email": member.email, **changes}


def test_an_admin_correcting_a_staff_members_sign_in_email_signs_them_out_everywhere(personas, login):
    member = personas.therapist
    theirs = login(member)
    admin = login(personas.admin)

    saved = admin.post(f"/accounts/users/{member.pk}/details/", _details_of(member, email="new.address@clinic.test"))

    assert saved.status_code == 302
    assert _signed_out(theirs.get(OWN_SIGN_IN))
    assert admin.get("/accounts/users/").status_code == 200
    assert _ended(member, because="sign_in_email_change", actor=personas.admin).detail["current_kept"] is False


def test_an_admin_correcting_their_own_sign_in_email_stays_signed_in_where_they_did_it(personas, login):
    admin = personas.admin
    here, elsewhere = login(admin), login(admin)

    saved = here.post(f"/accounts/users/{admin.pk}/details/", _details_of(admin, email="ada.new@clinic.test"))

    assert saved.status_code == 302
    assert here.get("/accounts/users/").status_code == 200
    assert _signed_out(elsewhere.get(OWN_SIGN_IN))
    assert _ended(admin, because="sign_in_email_change").detail["current_kept"] is True


def test_correcting_only_a_staff_members_name_keeps_their_sessions(personas, login):
    member = personas.therapist
    theirs = login(member)

    login(personas.admin).post(f"/accounts/users/{member.pk}/details/", _details_of(member, first_name="Sam"))

    assert theirs.get(OWN_SIGN_IN).status_code == 200
    assert not AccessLog.objects.filter(action="sessions_end").exists()
