"""A value the clinic refuses, typed into the Django admin, is told on the form and saves nothing: never a server
error, never half a change."""

import pytest
from django.forms.models import model_to_dict

from apps.accounts import services
from apps.accounts.disciplines import Discipline
from apps.accounts.models import TherapistProfile
from apps.audit.models import AccessLog
from apps.core.models import ClinicSettings

pytestmark = pytest.mark.django_db


def _settings_post(client, **changes):
    ClinicSettings.objects.get_or_create(id=1)
    row = ClinicSettings.objects.get(id=1)
    data = {k: v for k, v in model_to_dict(row).items() if v is not None and v is not False}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not False}
    return client.post("/admin/core/clinicsettings/1/change/", data)


@pytest.mark.parametrize(("setting", "refused"), [("seat_offer_hold_hours", 0), ("release_valid_days", 10**6)])
def test_a_setting_outside_its_bounds_is_refused_on_the_admin_form(superuser_admin, setting, refused):
    before = getattr(ClinicSettings.load(), setting)
    response = _settings_post(superuser_admin, **{setting: refused})
    assert response.status_code == 200
    assert "Ensure this value is" in response.content.decode()
    assert getattr(ClinicSettings.objects.get(id=1), setting) == before
    assert not AccessLog.objects.filter(action="clinic_settings_change").exists()


def test_a_refusal_from_the_settings_service_is_a_message_and_saves_nothing(superuser_admin, monkeypatch):
    """The form passed, and the service (under its lock) refuses after writing: the page says so, nothing is kept."""
    real = services.clinic_settings_update

    def refused_after_writing(**kwargs):
        real(**kwargs)
        ClinicSettings(seat_offer_hold_hours=0).full_clean()

    monkeypatch.setattr(services, "clinic_settings_update", refused_after_writing)
    before = ClinicSettings.load().seat_offer_hold_hours
    response = _settings_post(superuser_admin, seat_offer_hold_hours=before + 1)
    assert response.status_code == 302
    assert "Not saved" in superuser_admin.get(response.url).content.decode()
    assert ClinicSettings.objects.get(id=1).seat_offer_hold_hours == before
    assert not AccessLog.objects.filter(action="clinic_settings_change").exists()


def _profile_post(client, profile, **changes):
    data = {k: v for k, v in model_to_dict(profile).items() if v is not None and v is not False}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not False}
    return client.post(f"/admin/accounts/therapistprofile/{profile.pk}/change/", data)


def _refused_on_the_form(response, text):
    assert response.status_code == 200
    assert text in response.content.decode()


def test_a_prelicensed_therapist_without_a_supervisor_is_refused_on_the_admin_form(superuser_admin, personas):
    profile = personas.other_therapist.therapist_profile
    response = _profile_post(superuser_admin, profile, is_prelicensed="on", credentials="PhD")
    _refused_on_the_form(response, "needs a supervisor")
    profile.refresh_from_db()
    assert (profile.is_prelicensed, profile.credentials) != (True, "PhD")
    assert not AccessLog.objects.filter(action="therapist_profile_change").exists()


@pytest.mark.parametrize("who", ["themselves", "patient_user", "front_desk", "prelicensed"])
def test_someone_who_cannot_supervise_is_refused_on_the_admin_form(superuser_admin, personas, who):
    profile = personas.other_therapist.therapist_profile
    if who == "themselves":
        supervisor = personas.other_therapist
    elif who == "prelicensed":
        supervisor = personas.therapist
        TherapistProfile.objects.filter(user=supervisor).update(is_prelicensed=True, supervisor=personas.admin)
    else:
        supervisor = getattr(personas, who)
    response = _profile_post(superuser_admin, profile, is_prelicensed="on", supervisor=supervisor.pk, credentials="PhD")
    _refused_on_the_form(response, "cannot supervise")
    profile.refresh_from_db()
    assert (profile.is_prelicensed, profile.supervisor, profile.credentials) != (True, supervisor, "PhD")
    assert profile.supervisor is None
    assert not AccessLog.objects.filter(action="therapist_profile_change").exists()


def test_a_licensed_therapist_named_supervisor_in_the_admin_is_kept(superuser_admin, personas):
    profile = personas.other_therapist.therapist_profile
    response = _profile_post(superuser_admin, profile, is_prelicensed="on", supervisor=personas.therapist.pk)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.is_prelicensed, profile.supervisor) == (True, personas.therapist)


def test_changing_the_discipline_of_someone_no_longer_a_therapist_is_refused_on_the_admin_form(
    superuser_admin, personas
):
    profile = personas.other_therapist.therapist_profile
    personas.other_therapist.groups.clear()
    before = profile.discipline
    other = next(value for value in Discipline.values if value != before)
    response = _profile_post(superuser_admin, profile, discipline=other)
    _refused_on_the_form(response, "Choose a therapist")
    profile.refresh_from_db()
    assert profile.discipline == before


def test_a_supervisor_of_another_discipline_is_refused_on_the_admin_form(superuser_admin, personas, bodywork_provider):
    profile = personas.therapist.therapist_profile
    response = _profile_post(superuser_admin, profile, is_prelicensed="on", supervisor=bodywork_provider.pk)
    _refused_on_the_form(response, "same discipline")
    profile.refresh_from_db()
    assert profile.supervisor is None


def test_the_admins_settings_form_says_what_quiet_hours_of_the_same_start_and_end_mean(superuser_admin):
    """The meaning is the setting's own, so the Django admin says it as the Clinic settings page does."""
    ClinicSettings.objects.get_or_create(id=1)
    page = superuser_admin.get("/admin/core/clinicsettings/1/change/").content.decode()
    assert "The same time in both: no quiet hours" in page
