"""A therapist's profile edited in the Django admin goes through the same services as the clinic's pages: who
supervises whom (the supervisor co-signs the notes and reads the signed plans) and whether patients book online are
access, so each change is in the access log, wherever it is made."""

import pytest
from django.forms.models import model_to_dict

from apps.audit.models import AccessLog

pytestmark = pytest.mark.django_db


def _post(client, profile, **changes):
    data = {k: v for k, v in model_to_dict(profile).items() if v is not None and v is not False}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not False}
    return client.post(f"/admin/accounts/therapistprofile/{profile.pk}/change/", data)


def test_naming_a_supervisor_in_the_admin_is_in_the_access_log(superuser_admin, personas):
    profile = personas.other_therapist.therapist_profile
    response = _post(superuser_admin, profile, is_prelicensed="on", supervisor=personas.therapist.pk)
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.is_prelicensed, profile.supervisor) == (True, personas.therapist)
    log = AccessLog.objects.get(action="therapist_supervision_change")
    assert log.actor == personas.admin and log.subject_id == str(profile.pk)
    assert log.detail["before"] == {"is_prelicensed": False, "supervisor": None}
    assert log.detail["after"] == {"is_prelicensed": True, "supervisor": personas.therapist.pk}


def test_turning_on_online_booking_in_the_admin_is_in_the_access_log(superuser_admin, personas):
    profile = personas.therapist.therapist_profile
    assert not profile.self_booking
    response = _post(superuser_admin, profile, self_booking="on")
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert profile.self_booking
    log = AccessLog.objects.get(action="therapist_self_booking_change")
    assert log.actor == personas.admin
    assert log.detail["after"]["self_booking"] is True


def test_an_unchanged_profile_saved_in_the_admin_logs_nothing(superuser_admin, personas):
    profile = personas.therapist.therapist_profile
    assert _post(superuser_admin, profile, credentials="PhD").status_code == 302
    profile.refresh_from_db()
    assert profile.credentials == "PhD"
    assert not AccessLog.objects.filter(
        action__in=["therapist_supervision_change", "therapist_self_booking_change"]
    ).exists()


def test_the_licence_and_cap_changed_in_the_admin_are_in_the_access_log_as_on_the_staff_page(superuser_admin, personas):
    profile = personas.therapist.therapist_profile
    response = _post(superuser_admin, profile, npi="1234567893", reduced_fee_cap=4, bio="Works with chronic pain.")
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.npi, profile.reduced_fee_cap, profile.bio) == ("1234567893", 4, "Works with chronic pain.")
    log = AccessLog.objects.get(action="therapist_profile_change")
    assert log.actor == personas.admin
    assert log.detail["after"] == {"npi": "1234567893", "reduced_fee_cap": 4}
