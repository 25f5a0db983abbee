"""Roles are the clinic's groups, changed for a person only on the clinic's Users page (which keeps an active admin,
keeps a therapist with sessions booked, and logs the change). The Django admin lists the roles but cannot rename,
delete or add one, nor hand a role permissions: none of that is a way around those rules."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission

from apps.accounts.models import ApiToken, User
from apps.accounts.roles import Role
from apps.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_the_admin_cannot_delete_a_role(superuser_admin, personas):
    admins = Group.objects.get(name=Role.ADMIN)
    response = superuser_admin.post(f"/admin/auth/group/{admins.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Group.objects.filter(name=Role.ADMIN).exists()
    assert personas.admin.groups.filter(name=Role.ADMIN).exists()


def test_the_admin_cannot_rename_a_role_or_give_it_permissions(superuser_admin, personas):
    therapists = Group.objects.get(name=Role.THERAPIST)
    permission = Permission.objects.get(codename="add_patient")
    response = superuser_admin.post(
        f"/admin/auth/group/{therapists.pk}/change/", {"name": "former therapists", "permissions": [permission.pk]}
    )
    assert response.status_code == 403
    therapists.refresh_from_db()
    assert therapists.name == Role.THERAPIST and not therapists.permissions.exists()


def test_the_admin_cannot_add_a_role(superuser_admin):
    assert superuser_admin.get("/admin/auth/group/add/").status_code == 403
    assert superuser_admin.post("/admin/auth/group/add/", {"name": "auditor"}).status_code == 403
    assert not Group.objects.filter(name="auditor").exists()


def test_the_admin_lists_the_roles(superuser_admin, personas):
    response = superuser_admin.get("/admin/auth/group/")
    assert response.status_code == 200
    assert Role.THERAPIST.value in response.content.decode()


def test_the_admin_cannot_delete_an_account(superuser_admin, personas):
    """Someone who leaves is deactivated on *Users* (their tokens and invitations revoked, their record kept); a
    deleted account would take its revoked tokens, its outbox and the patient's sign-in with it."""
    token, _ = api_token_create(actor=personas.front_desk, name="script", lifetime=dt.timedelta(days=7))
    for user in (personas.front_desk, personas.patient_user):
        response = superuser_admin.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
        assert response.status_code == 403
        assert User.objects.filter(pk=user.pk).exists()
    response = superuser_admin.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [personas.front_desk.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=personas.front_desk.pk).exists()
    assert ApiToken.objects.filter(pk=token.pk).exists()
    personas.patient.refresh_from_db()
    assert personas.patient.user_id == personas.patient_user.pk


def test_the_admin_cannot_change_revive_or_make_an_invitation(superuser_admin, personas):
    """An invitation gives its role and its address to whoever accepts it, and only the newest unexpired link works:
    the admin only lists them, so no pending link can be turned into an admin's, pointed at another address, or
    brought back after it was revoked or used."""
    from apps.accounts.models import Invitation
    from apps.accounts.services import invitation_send

    invitation = invitation_send(
        actor=personas.front_desk, email="new.patient@example.test", role=Role.PATIENT, user=None
    )
    url = f"/admin/accounts/invitation/{invitation.pk}/change/"
    assert superuser_admin.get(url).status_code == 200
    response = superuser_admin.post(
        url,
        {
            "email": "someone.else@example.test",
            "role": Role.ADMIN,
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
            "accepted_at_0": "",
            "accepted_at_1": "",
            "revoked_at_0": "",
            "revoked_at_1": "",
            "user": "",
            "invited_by": personas.front_desk.pk,
        },
    )
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert (invitation.email, invitation.role) == ("new.patient@example.test", Role.PATIENT)
    assert superuser_admin.get("/admin/accounts/invitation/add/").status_code == 403
    assert (
        superuser_admin.post(f"/admin/accounts/invitation/{invitation.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Invitation.objects.filter(pk=invitation.pk, revoked_at=None, accepted_at=None).exists()


def test_a_clinic_setting_changed_in_the_admin_is_in_the_access_log(superuser_admin, personas):
    """Releasing session notes in the patients' downloads (and every other setting) is logged wherever it is
    changed: the admin saves through the same service as the Clinic settings page."""
    from django.forms.models import model_to_dict

    from apps.audit.models import AccessLog
    from apps.core.models import ClinicSettings

    settings_row = ClinicSettings.objects.get_or_create(id=1)[0]
    assert not settings_row.records_release_session_notes
    data = {k: v for k, v in model_to_dict(settings_row).items() if v is not None and v is not False}
    data["records_release_session_notes"] = "on"
    response = superuser_admin.post(f"/admin/core/clinicsettings/{settings_row.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ClinicSettings.load().records_release_session_notes
    log = AccessLog.objects.get(action="clinic_settings_change", actor=personas.admin)
    assert log.detail["after"] == {"records_release_session_notes": "True"}
    assert superuser_admin.get("/admin/core/clinicsettings/add/").status_code == 403
    assert (
        superuser_admin.post(f"/admin/core/clinicsettings/{settings_row.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_the_admin_cannot_make_anyone_a_superuser(superuser_admin, personas):
    user = personas.front_desk
    response = superuser_admin.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "email": user.email,
            "first_name": "Fran",
            "last_name": user.last_name,
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.is_staff, user.is_superuser) == ("Fran", False, False)
