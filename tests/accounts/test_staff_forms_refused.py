"""The admin's forms for the staff (roles, name and email, clinical profile, a new invitation), the clinic's settings
and API tokens refuse as every form does: the page again with its error summary at the top and the reason by the
field, 422 (409 for a conflict with the records as they now stand), nothing saved. A form sent with nothing in it
(no role ticked, every field left empty) is checked like any other, not taken for the page asked for."""

import pytest

from apps.accounts.models import ApiToken, TherapistProfile, User
from apps.accounts.roles import Role
from apps.audit.models import AccessLog
from apps.core.models import ClinicSettings

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def _refused(response, *words: str) -> str:
    """The page of a refused form: 422, its summary at the top, each of `words` on it."""
    html = response.content.decode()
    assert response.status_code == 422
    assert SUMMARY in html
    for said in words:
        assert said in html
    return html


def _member_url(user, section: str = "") -> str:
    return f"/accounts/users/{user.pk}/{section + '/' if section else ''}"


def test_no_role_ticked_is_refused_with_422_and_the_roles_kept(personas, login):
    _refused(login(personas.admin).post(_member_url(personas.front_desk), {}), "Tick at least one role")
    assert User.objects.get(pk=personas.front_desk.pk).roles == {Role.FRONT_DESK}
    assert not AccessLog.objects.filter(action="roles_change").exists()


def test_a_blank_name_and_email_are_refused_with_422_and_nothing_changed(personas, login):
    member = personas.front_desk
    _refused(login(personas.admin).post(_member_url(member, "details"), {}), "This field is required.")
    kept = User.objects.get(pk=member.pk)
    assert (kept.first_name, kept.last_name, kept.email) == (member.first_name, member.last_name, member.email)


def test_an_email_another_account_has_is_a_conflict_409_with_the_summary(personas, login):
    member = personas.front_desk
    posted = {"first_name": member.first_name, "last_name": member.last_name, "email": personas.therapist.email}
    response = login(personas.admin).post(_member_url(member, "details"), posted)
    assert response.status_code == 409
    assert SUMMARY in response.content.decode() and "Already in use." in response.content.decode()
    assert User.objects.get(pk=member.pk).email == member.email


def test_a_clinical_profile_that_does_not_parse_is_refused_with_422_and_nothing_changed(personas, login):
    before = TherapistProfile.objects.get(user=personas.therapist)
    response = login(personas.admin).post(_member_url(personas.therapist, "clinical-profile"), {"npi": "12"})
    _refused(response)
    after = TherapistProfile.objects.get(user=personas.therapist)
    assert (after.npi, after.credentials, after.discipline) == (before.npi, before.credentials, before.discipline)
    assert not AccessLog.objects.filter(action="therapist_profile_change").exists()


def test_an_empty_invitation_is_refused_with_422_and_nobody_invited(personas, login):
    staff = User.objects.count()
    _refused(login(personas.admin).post("/accounts/users/", {}), "This field is required.")
    assert User.objects.count() == staff


def test_empty_clinic_settings_are_refused_with_422_and_the_settings_kept(personas, login):
    before = ClinicSettings.load()
    _refused(login(personas.admin).post("/accounts/clinic-settings/", {}), "This field is required.")
    after = ClinicSettings.load()
    assert after.cancellation_window_hours == before.cancellation_window_hours


def test_a_token_without_a_name_is_refused_with_422_and_none_made(personas, login):
    _refused(login(personas.admin).post("/accounts/tokens/", {}))
    assert not ApiToken.objects.exists()
