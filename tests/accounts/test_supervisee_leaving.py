"""A therapist who left the clinic keeps the supervisor their profile names, as history, but no longer holds that
supervisor in the clinic: only supervisees still practising (active therapists, or therapists invited whose link
still works) keep a supervisor from leaving, and the refusal names them. Coming back with a supervisor who has left
since, or who can no longer supervise them, is refused until they are chosen one who can, on their clinical profile,
whichever way they come back: reactivated, invited again or given the therapist role again."""

import pytest
from django.forms.models import model_to_dict

from apps.accounts.disciplines import Discipline
from apps.accounts.forms import ClinicalProfileForm
from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import (
    staff_deactivate,
    staff_deactivation_refusal,
    staff_invite,
    staff_reactivate,
    staff_reactivation_refusal,
    staff_reinvite,
    staff_roles_change,
    therapist_profile_change,
)
from apps.audit.models import AccessLog
from apps.core.errors import Conflict, Unprocessable
from tests.factories import TherapistFactory
from tests.locking import HeldElsewhere


def _url(user, action: str = "") -> str:
    return f"/accounts/users/{user.pk}/{action + '/' if action else ''}"


def _supervised_by(supervisor, *, first_name: str, last_name: str, prelicensed: bool = True) -> User:
    supervisee = TherapistFactory(first_name=first_name, last_name=last_name)
    therapist_profile_change(
        actor=User.objects.get(email="admin@example.test"),
        user=supervisee,
        is_prelicensed=prelicensed,
        supervisor=supervisor,
    )
    return supervisee


@pytest.fixture
def supervisor(personas):
    return personas.therapist


@pytest.fixture
def left(supervisor, personas):
    """A pre-licensed therapist the supervisor supervised, deactivated: they left the clinic."""
    supervisee = _supervised_by(supervisor, first_name="Lena", last_name="Left")
    staff_deactivate(actor=personas.admin, user=supervisee)
    return supervisee


@pytest.fixture
def staying(supervisor):
    return _supervised_by(supervisor, first_name="Sam", last_name="Staying")


def _active(user) -> bool:
    return User.objects.get(pk=user.pk).is_active


# The supervisor leaving


@pytest.mark.django_db
def test_a_supervisor_whose_only_supervisee_left_may_be_deactivated(supervisor, left, personas):
    assert staff_deactivation_refusal(actor=personas.admin, user=supervisor) == ""
    staff_deactivate(actor=personas.admin, user=supervisor)
    assert not _active(supervisor)
    # The link stays as history: who supervised them while they practised.
    assert TherapistProfile.objects.get(user=left).supervisor == supervisor


@pytest.mark.django_db
def test_a_supervisor_whose_only_supervisee_left_may_lose_the_therapist_role(supervisor, left, personas):
    staff_roles_change(actor=personas.admin, user=supervisor, roles=[Role.FRONT_DESK])
    assert Role.THERAPIST not in User.objects.get(pk=supervisor.pk).roles


@pytest.mark.django_db
def test_the_refusal_counts_and_names_only_the_supervisees_still_practising(supervisor, left, staying, personas):
    refusal = staff_deactivation_refusal(actor=personas.admin, user=supervisor)
    assert "supervises 1 therapist (Sam Staying): name them another supervisor" in refusal
    assert "Lena" not in refusal
    with pytest.raises(Conflict, match=r"supervises 1 therapist \(Sam Staying\)"):
        staff_deactivate(actor=personas.admin, user=supervisor)
    assert _active(supervisor)


@pytest.mark.django_db
def test_a_supervisee_no_longer_a_therapist_does_not_hold_their_supervisor(supervisor, staying, personas):
    staff_roles_change(actor=personas.admin, user=staying, roles=[Role.FRONT_DESK])
    staff_deactivate(actor=personas.admin, user=supervisor)
    assert not _active(supervisor)


def invited_under(supervisor, personas):
    """A therapist invited (their link still works), pre-licensed and supervised by `supervisor` when one is given."""
    invited = staff_invite(
        actor=personas.admin,
        email="ivy.invited@example.test",
        first_name="Ivy",
        last_name="Invited",
        role=Role.THERAPIST,
    ).user
    if supervisor is not None:
        therapist_profile_change(actor=personas.admin, user=invited, is_prelicensed=True, supervisor=supervisor)
    return invited


@pytest.mark.django_db
def test_a_therapist_invited_whose_link_still_works_holds_their_supervisor(supervisor, personas):
    """Accepting the link makes them active without anyone asking again: they count as if they were."""
    invited = invited_under(supervisor, personas)
    with pytest.raises(Conflict, match=r"supervises 1 therapist \(Ivy Invited\)"):
        staff_deactivate(actor=personas.admin, user=supervisor)
    staff_deactivate(actor=personas.admin, user=invited)  # the invitation withdrawn
    staff_deactivate(actor=personas.admin, user=supervisor)
    assert not _active(supervisor)


@pytest.mark.django_db
def test_a_supervisor_whose_supervisees_left_may_change_discipline_or_become_prelicensed(supervisor, left, personas):
    therapist_profile_change(actor=personas.admin, user=supervisor, discipline=Discipline.BODYWORK)
    therapist_profile_change(
        actor=personas.admin,
        user=supervisor,
        is_prelicensed=True,
        supervisor=TherapistFactory(profile__discipline=Discipline.BODYWORK),
    )
    profile = TherapistProfile.objects.get(user=supervisor)
    assert (profile.discipline, profile.is_prelicensed) == (Discipline.BODYWORK, True)


@pytest.mark.django_db
def test_the_discipline_and_licence_refusals_name_the_supervisees_still_practising(supervisor, left, staying, personas):
    with pytest.raises(Conflict, match=r"supervises 1 therapist \(Sam Staying\) of their discipline"):
        therapist_profile_change(actor=personas.admin, user=supervisor, discipline=Discipline.BODYWORK)
    with pytest.raises(Unprocessable, match=r"supervises 1 therapist \(Sam Staying\), and a supervisor"):
        therapist_profile_change(
            actor=personas.admin, user=supervisor, is_prelicensed=True, supervisor=TherapistFactory()
        )


# The supervisee coming back


@pytest.fixture
def supervisor_left(supervisor, left, personas):
    staff_deactivate(actor=personas.admin, user=supervisor)
    return supervisor


@pytest.mark.django_db
def test_reactivating_a_prelicensed_therapist_whose_supervisor_left_is_refused(supervisor_left, left, personas):
    expected = (
        "Choose Lena Left an active supervisor on their clinical profile before reactivating them: "
        f"{supervisor_left.full_name} cannot supervise (they are not active)."
    )
    assert staff_reactivation_refusal(user=left) == expected
    with pytest.raises(Conflict) as refused:
        staff_reactivate(actor=personas.admin, user=left)
    assert refused.value.message == expected
    assert not _active(left)
    assert not AccessLog.objects.filter(action="staff_reactivate").exists()


@pytest.mark.django_db
def test_a_supervisee_chosen_an_active_supervisor_while_away_may_be_reactivated(supervisor_left, left, personas):
    successor = TherapistFactory()
    assert successor in set(ClinicalProfileForm(member=left).fields["supervisor"].queryset)
    therapist_profile_change(actor=personas.admin, user=left, supervisor=successor)
    assert staff_reactivation_refusal(user=left) == ""
    staff_reactivate(actor=personas.admin, user=left)
    assert _active(left)
    assert TherapistProfile.objects.get(user=left).supervisor == successor


@pytest.mark.django_db
def test_a_licensed_therapist_whose_supervisor_left_is_chosen_another_or_none_first(supervisor, personas):
    licensed = _supervised_by(supervisor, first_name="Lou", last_name="Licensed", prelicensed=False)
    staff_deactivate(actor=personas.admin, user=licensed)
    staff_deactivate(actor=personas.admin, user=supervisor)
    with pytest.raises(Conflict, match="Choose Lou Licensed an active supervisor, or none, on their clinical profile"):
        staff_reactivate(actor=personas.admin, user=licensed)
    therapist_profile_change(actor=personas.admin, user=licensed, supervisor=None)
    staff_reactivate(actor=personas.admin, user=licensed)
    assert _active(licensed)


@pytest.mark.django_db
def test_reactivating_a_supervisee_whose_supervisor_changed_discipline_is_refused(supervisor, left, personas):
    therapist_profile_change(actor=personas.admin, user=supervisor, discipline=Discipline.BODYWORK)
    with pytest.raises(Conflict, match="before reactivating them: .* same discipline"):
        staff_reactivate(actor=personas.admin, user=left)


@pytest.mark.django_db
def test_giving_the_therapist_role_back_with_a_supervisor_who_left_is_refused(supervisor, staying, personas):
    staff_roles_change(actor=personas.admin, user=staying, roles=[Role.FRONT_DESK])
    staff_deactivate(actor=personas.admin, user=supervisor)
    with pytest.raises(Conflict, match="Choose Sam Staying an active supervisor .* before giving them the therapist"):
        staff_roles_change(actor=personas.admin, user=staying, roles=[Role.THERAPIST])
    assert Role.THERAPIST not in User.objects.get(pk=staying.pk).roles
    # Roles that leave the therapist role out are still theirs to change.
    staff_roles_change(actor=personas.admin, user=staying, roles=[Role.FRONT_DESK, Role.BILLING])


@pytest.mark.django_db
def test_inviting_again_a_therapist_whose_supervisor_left_is_refused(supervisor, personas):
    invited = invited_under(supervisor, personas)
    staff_deactivate(actor=personas.admin, user=invited)
    staff_deactivate(actor=personas.admin, user=supervisor)
    with pytest.raises(Conflict, match="Choose Ivy Invited an active supervisor .* before inviting them again"):
        staff_reinvite(actor=personas.admin, user=invited)


# The staff page and the Django admin


@pytest.mark.django_db
def test_the_staff_page_names_the_supervisees_still_practising(supervisor, left, staying, personas, login):
    admin = login(personas.admin)
    page = admin.get(_url(supervisor)).content.decode()
    assert "Deactivate…</button>" not in page
    assert "supervises 1 therapist (Sam Staying)" in page and "Lena Left" not in page
    text = admin.post(_url(supervisor, "deactivate"), {"confirmed": "yes"}, follow=True).content.decode()
    assert "supervises 1 therapist (Sam Staying): name them another supervisor" in text
    assert _active(supervisor)


@pytest.mark.django_db
def test_the_staff_page_deactivates_a_supervisor_whose_supervisees_left(supervisor, left, personas, login):
    admin = login(personas.admin)
    assert "Deactivate…</button>" in admin.get(_url(supervisor)).content.decode()
    admin.post(_url(supervisor, "deactivate"), {"confirmed": "yes"})
    assert not _active(supervisor)


@pytest.mark.django_db
def test_the_staff_page_says_why_a_supervisee_cannot_be_reactivated_yet(supervisor_left, left, personas, login):
    admin = login(personas.admin)
    page = admin.get(_url(left)).content.decode()
    assert "Reactivate</button>" not in page
    assert "Choose Lena Left an active supervisor on their clinical profile before reactivating them" in page
    # Their clinical profile offers only active therapists as supervisor.
    assert supervisor_left not in set(ClinicalProfileForm(member=left).fields["supervisor"].queryset)
    text = admin.post(_url(left, "reactivate"), follow=True).content.decode()
    assert "Choose Lena Left an active supervisor" in text and "can sign in again" not in text
    assert not _active(left)


def _admin_profile_post(client, profile, **changes):
    data = {k: v for k, v in model_to_dict(profile).items() if v is not None and v is not False}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not False}
    return client.post(f"/admin/accounts/therapistprofile/{profile.pk}/change/", data)


@pytest.mark.django_db
def test_the_django_admin_keeps_the_history_of_a_supervisee_who_left(supervisor_left, left, superuser_admin):
    """Their profile names a supervisor who left too: saving what is not supervision is not held up by it."""
    profile = TherapistProfile.objects.get(user=left)
    response = _admin_profile_post(superuser_admin, profile, bio="Back in the spring.", credentials="LMHC")
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.bio, profile.credentials, profile.supervisor) == ("Back in the spring.", "LMHC", supervisor_left)


@pytest.mark.django_db
def test_the_django_admin_refuses_a_supervisor_who_left_saying_so(supervisor_left, personas, superuser_admin):
    profile = personas.other_therapist.therapist_profile
    response = _admin_profile_post(superuser_admin, profile, is_prelicensed="on", supervisor=supervisor_left.pk)
    assert response.status_code == 200
    assert "cannot supervise (they are not active)" in response.content.decode()
    assert TherapistProfile.objects.get(pk=profile.pk).supervisor is None


@pytest.mark.django_db
def test_the_django_admin_changes_the_discipline_of_a_supervisor_whose_supervisees_left(
    supervisor, left, staying, superuser_admin, personas
):
    profile = TherapistProfile.objects.get(user=supervisor)
    response = _admin_profile_post(superuser_admin, profile, discipline=Discipline.BODYWORK)
    assert response.status_code == 200
    assert "supervises 1 therapist (Sam Staying) of their discipline" in response.content.decode()
    therapist_profile_change(actor=personas.admin, user=staying, supervisor=TherapistFactory())
    response = _admin_profile_post(superuser_admin, profile, discipline=Discipline.BODYWORK)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert TherapistProfile.objects.get(user=supervisor).discipline == Discipline.BODYWORK


# Both at once


@pytest.mark.django_db(transaction=True)
def test_a_supervisee_reactivated_while_their_supervisor_leaves_is_counted_by_the_leaving(personas):
    supervisor = personas.therapist
    supervisee = _supervised_by(supervisor, first_name="Rae", last_name="Returning")
    staff_deactivate(actor=personas.admin, user=supervisee)
    held = HeldElsewhere(lambda: staff_reactivate(actor=personas.admin, user=supervisee))
    held.release_soon()
    with pytest.raises(Conflict, match=r"supervises 1 therapist \(Rae Returning\)"):
        staff_deactivate(actor=personas.admin, user=supervisor)
    held.join()
    assert held.committed.is_set()
    assert _active(supervisor) and _active(supervisee)


@pytest.mark.django_db(transaction=True)
def test_a_supervisee_reactivated_while_their_supervisor_leaves_waits_and_is_refused(personas):
    supervisor = personas.therapist
    supervisee = _supervised_by(supervisor, first_name="Rae", last_name="Returning")
    staff_deactivate(actor=personas.admin, user=supervisee)
    held = HeldElsewhere(lambda: staff_deactivate(actor=personas.admin, user=supervisor))
    held.release_soon()
    with pytest.raises(Conflict, match="Choose Rae Returning an active supervisor"):
        staff_reactivate(actor=personas.admin, user=supervisee)
    held.join()
    assert held.committed.is_set()
    assert not _active(supervisor) and not _active(supervisee)


@pytest.fixture
def away_from_a_supervisor_who_left(supervisor, staying, personas):
    """Sam lost the therapist role, then their supervisor left."""
    staff_roles_change(actor=personas.admin, user=staying, roles=[Role.FRONT_DESK])
    staff_deactivate(actor=personas.admin, user=supervisor)
    return staying


@pytest.mark.django_db
def test_giving_the_therapist_role_back_names_another_supervisor_in_the_same_step(
    away_from_a_supervisor_who_left, personas
):
    staying, successor = away_from_a_supervisor_who_left, TherapistFactory()
    staff_roles_change(actor=personas.admin, user=staying, roles=[Role.THERAPIST], profile={"supervisor": successor})
    staying = User.objects.select_related("therapist_profile").get(pk=staying.pk)
    assert Role.THERAPIST in staying.roles and staying.therapist_profile.supervisor == successor
    assert AccessLog.objects.filter(action="therapist_profile_change", actor=personas.admin).latest("pk").detail[
        "after"
    ] == {"supervisor": successor.pk}


@pytest.mark.django_db
def test_the_roles_form_names_the_new_supervisor_and_refuses_one_who_cannot_supervise_on_the_field(
    away_from_a_supervisor_who_left, personas, login
):
    staying = away_from_a_supervisor_who_left
    admin = login(personas.admin)
    assert "supervisor" in admin.get(_url(staying)).context["form"].fields
    trainee = TherapistFactory(profile__is_prelicensed=True, profile__supervisor=personas.other_therapist)
    not_offered = admin.post(_url(staying), {"roles": [Role.THERAPIST], "supervisor": trainee.pk})
    assert not_offered.status_code == 422 and not_offered.context["form"].errors["supervisor"]
    bodywork = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    other_discipline = admin.post(_url(staying), {"roles": [Role.THERAPIST], "supervisor": bodywork.pk})
    assert other_discipline.status_code == 422 and other_discipline.context["form"].errors["supervisor"]
    assert Role.THERAPIST not in User.objects.get(pk=staying.pk).roles
    kept = admin.post(_url(staying), {"roles": [Role.THERAPIST], "supervisor": ""})
    assert kept.status_code in (409, 422) and Role.THERAPIST not in User.objects.get(pk=staying.pk).roles

    response = admin.post(_url(staying), {"roles": [Role.THERAPIST], "supervisor": personas.other_therapist.pk})
    assert response.status_code == 302
    assert TherapistProfile.objects.get(user=staying).supervisor == personas.other_therapist
    assert "supervisor" not in admin.get(_url(staying)).context["form"].fields
