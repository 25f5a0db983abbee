"""A supervisor co-signs their pre-licensed therapists' notes: while they supervise anyone still practising they stay
an active therapist. Deactivating them or taking their therapist role away is refused, on every path, until their
therapists are named another supervisor; the refusal is counted under the staff-changes lock, after a supervisor
named at the same moment (test_supervisee_leaving: those who left do not count)."""

import pytest

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import (
    staff_deactivate,
    staff_deactivation_refusal,
    staff_roles_change,
    therapist_profile_change,
)
from apps.audit.models import AccessLog
from apps.core.errors import Conflict
from tests.factories import TherapistFactory
from tests.locking import HeldElsewhere


def _url(user, action: str = "") -> str:
    return f"/accounts/users/{user.pk}/{action + '/' if action else ''}"


@pytest.fixture
def supervisor(personas):
    """The personas' therapist, supervising the other therapist (pre-licensed) and one more."""
    for supervisee in (personas.other_therapist, TherapistFactory()):
        therapist_profile_change(
            actor=personas.admin, user=supervisee, is_prelicensed=True, supervisor=personas.therapist
        )
    return personas.therapist


def _still_supervising(user) -> bool:
    user = User.objects.get(pk=user.pk)
    return user.is_active and Role.THERAPIST in user.roles


@pytest.mark.django_db
def test_deactivating_a_supervisor_on_the_staff_page_is_refused_saying_what_to_do(supervisor, personas, login):
    admin = login(personas.admin)
    page = admin.get(_url(supervisor)).content.decode()
    assert "Deactivate…</button>" not in page and "supervises 2 therapists" in page
    response = admin.post(_url(supervisor, "deactivate"), {"confirmed": "yes"}, follow=True)
    text = response.content.decode()
    assert "supervises 2 therapists" in text and "name them another supervisor" in text
    assert _still_supervising(supervisor)
    assert not AccessLog.objects.filter(action="staff_deactivate").exists()


@pytest.mark.django_db
def test_taking_a_supervisors_therapist_role_away_is_refused(supervisor, personas, login):
    response = login(personas.admin).post(_url(supervisor), {"roles": [Role.FRONT_DESK]})
    assert response.status_code == 409
    assert "supervises 2 therapists" in response.content.decode()
    assert _still_supervising(supervisor)


@pytest.mark.django_db
def test_a_supervisor_whose_therapists_are_named_another_supervisor_may_leave(supervisor, personas):
    successor = TherapistFactory()
    for profile in supervisor.supervisees.select_related("user"):
        therapist_profile_change(actor=personas.admin, user=profile.user, supervisor=successor)
    assert staff_deactivation_refusal(actor=personas.admin, user=supervisor) == ""
    staff_deactivate(actor=personas.admin, user=supervisor)
    assert not User.objects.get(pk=supervisor.pk).is_active


@pytest.mark.django_db
def test_the_django_admin_cannot_deactivate_a_supervisor_or_take_their_role(supervisor, superuser_admin):
    """Its user form shows is_active and the roles read-only: a post with them unticked changes neither."""
    response = superuser_admin.post(
        f"/admin/accounts/user/{supervisor.pk}/change/",
        {"email": supervisor.email, "first_name": "Theodore", "last_name": supervisor.last_name, "groups": []},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=supervisor.pk).first_name == "Theodore"
    assert _still_supervising(supervisor)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("leaving", ["deactivated", "no longer a therapist"])
def test_a_supervisor_named_while_they_leave_is_counted_by_the_leaving(personas, leaving):
    supervisor = personas.therapist
    held = HeldElsewhere(
        lambda: therapist_profile_change(
            actor=personas.admin, user=personas.other_therapist, is_prelicensed=True, supervisor=supervisor
        )
    )
    held.release_soon()
    with pytest.raises(Conflict, match=r"supervises 1 therapist \(.+\): name them another supervisor"):
        if leaving == "deactivated":
            staff_deactivate(actor=personas.admin, user=supervisor)
        else:
            staff_roles_change(actor=personas.admin, user=supervisor, roles=[Role.FRONT_DESK])
    held.join()
    assert held.committed.is_set()
    assert _still_supervising(supervisor)
