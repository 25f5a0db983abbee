"""A therapist's profile edited in the Django admin goes through the same service as the staff page: who supervises
whom (the supervisor co-signs the notes and reads the signed plans) and whether patients book online are access, so
each change is in the access log, wherever it is made: one row for one save, saying what each field was and
became."""

import re

import pytest
from django.forms.models import model_to_dict

from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import therapist_profile_change
from apps.audit.models import AccessLog
from tests.factories import UserFactory

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
    log = AccessLog.objects.get(action="therapist_profile_change")
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
    log = AccessLog.objects.get(action="therapist_profile_change")
    assert log.actor == personas.admin
    assert log.detail["after"] == {"self_booking": True}


def test_a_profile_saved_in_the_admin_logs_only_what_changed(superuser_admin, personas):
    profile = personas.therapist.therapist_profile
    assert _post(superuser_admin, profile, credentials="PhD").status_code == 302
    profile.refresh_from_db()
    assert profile.credentials == "PhD"
    log = AccessLog.objects.get(subject_type="accounts.therapistprofile")
    assert log.detail["after"] == {"credentials": "PhD"}


def test_the_licence_and_cap_changed_in_the_admin_are_in_the_access_log_as_on_the_staff_page(superuser_admin, personas):
    profile = personas.therapist.therapist_profile
    response = _post(superuser_admin, profile, npi="1234567893", reduced_fee_cap=4, bio="Works with chronic pain.")
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.npi, profile.reduced_fee_cap, profile.bio) == ("1234567893", 4, "Works with chronic pain.")
    log = AccessLog.objects.get(action="therapist_profile_change")
    assert log.actor == personas.admin
    assert log.detail["after"] == {"npi": "1234567893", "reduced_fee_cap": 4}


def _rows_of_the_save() -> list[AccessLog]:
    return list(AccessLog.objects.filter(subject_type="accounts.therapistprofile"))


def test_one_admin_save_changing_supervision_booking_licence_and_cap_writes_one_access_log_row(
    superuser_admin, personas
):
    profile = personas.other_therapist.therapist_profile
    response = _post(
        superuser_admin,
        profile,
        is_prelicensed="on",
        supervisor=personas.therapist.pk,
        self_booking="on",
        npi="1234567893",
        reduced_fee_cap=3,
        bio="Works with chronic pain.",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [log] = _rows_of_the_save()
    assert (log.action, log.actor, log.subject_id) == ("therapist_profile_change", personas.admin, str(profile.pk))
    assert log.detail["therapist"] == personas.other_therapist.pk
    assert log.detail["after"] == {
        "is_prelicensed": True,
        "supervisor": personas.therapist.pk,
        "self_booking": True,
        "npi": "1234567893",
        "reduced_fee_cap": 3,
    }
    assert set(log.detail["before"]) == set(log.detail["after"])


def test_one_admin_save_changing_the_discipline_and_online_booking_writes_one_access_log_row(superuser_admin, personas):
    profile = personas.other_therapist.therapist_profile
    response = _post(superuser_admin, profile, discipline="bodywork", self_booking="on", accepts_new_patients=False)
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.discipline, profile.self_booking, profile.accepts_new_patients) == ("bodywork", True, False)
    [log] = _rows_of_the_save()
    assert log.detail["before"] == {"discipline": "psychotherapy", "self_booking": False, "accepts_new_patients": True}
    assert log.detail["after"] == {"discipline": "bodywork", "self_booking": True, "accepts_new_patients": False}


# Adding a profile: a therapist has none until their clinical profile is first saved (on the staff page, or here).


def _add(client, user, **fields):
    data = {"user": user.pk, "discipline": "psychotherapy", "accepts_new_patients": "on"} | fields
    return client.post("/admin/accounts/therapistprofile/add/", data)


@pytest.fixture
def new_therapist(personas):
    """A therapist without a profile yet."""
    return UserFactory(email="new.therapist@example.test", roles=[Role.THERAPIST])


def test_a_profile_added_in_the_admin_is_checked_and_logged_as_a_change_is(superuser_admin, personas, new_therapist):
    response = _add(
        superuser_admin,
        new_therapist,
        is_prelicensed="on",
        supervisor=personas.therapist.pk,
        npi="1234567893",
        bio="Works with chronic pain.",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = TherapistProfile.objects.get(user=new_therapist)
    assert (profile.is_prelicensed, profile.supervisor, profile.npi, profile.bio) == (
        True,
        personas.therapist,
        "1234567893",
        "Works with chronic pain.",
    )
    [log] = _rows_of_the_save()
    assert (log.action, log.actor, log.subject_id) == ("therapist_profile_change", personas.admin, str(profile.pk))
    assert log.detail["after"] == {"is_prelicensed": True, "supervisor": personas.therapist.pk, "npi": "1234567893"}


@pytest.mark.parametrize("supervisor", ["prelicensed", "deactivated", "front_desk"])
def test_a_profile_added_in_the_admin_with_someone_who_cannot_supervise_is_refused(
    superuser_admin, personas, new_therapist, supervisor
):
    if supervisor == "prelicensed":
        chosen = personas.other_therapist
        TherapistProfile.objects.filter(user=chosen).update(is_prelicensed=True, supervisor=personas.therapist)
    elif supervisor == "deactivated":
        chosen = personas.other_therapist
        User.objects.filter(pk=chosen.pk).update(is_active=False)
    else:
        chosen = personas.front_desk
    response = _add(superuser_admin, new_therapist, is_prelicensed="on", supervisor=chosen.pk)
    assert response.status_code == 200
    assert "cannot supervise" in response.content.decode()
    assert not TherapistProfile.objects.filter(user=new_therapist).exists()
    assert _rows_of_the_save() == []


def test_a_profile_added_in_the_admin_with_a_supervisor_they_supervise_is_refused(
    superuser_admin, personas, new_therapist
):
    """A therapist with no profile yet may already supervise someone (licensed, of the default discipline)."""
    therapist_profile_change(actor=personas.admin, user=personas.other_therapist, supervisor=new_therapist)
    response = _add(superuser_admin, new_therapist, supervisor=personas.other_therapist.pk)
    assert response.status_code == 200
    assert "is supervised by" in response.content.decode()
    assert not TherapistProfile.objects.filter(user=new_therapist).exists()


def test_the_admin_adds_profiles_for_therapists_without_one_only(superuser_admin, personas, new_therapist):
    page = superuser_admin.get("/admin/accounts/therapistprofile/add/").content.decode()
    offered = re.search(r'<select name="user".*?</select>', page, re.DOTALL).group()
    assert f'value="{new_therapist.pk}"' in offered
    for someone in (personas.front_desk, personas.therapist):
        assert f'value="{someone.pk}"' not in offered
    response = _add(superuser_admin, personas.front_desk)
    assert response.status_code == 200
    assert not TherapistProfile.objects.filter(user=personas.front_desk).exists()


def test_a_profile_is_not_moved_to_another_person_in_the_admin(superuser_admin, personas, new_therapist):
    """Whose profile it is shows read-only: moved, a pre-licensed profile would give someone else a supervisor, never
    checked (and a supervisor the profile of their supervisee, supervising themselves)."""
    profile = personas.other_therapist.therapist_profile
    therapist_profile_change(
        actor=personas.admin, user=personas.other_therapist, is_prelicensed=True, supervisor=personas.therapist
    )
    profile.refresh_from_db()
    response = _post(superuser_admin, profile, user=new_therapist.pk, credentials="PhD")
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.user, profile.credentials) == (personas.other_therapist, "PhD")
