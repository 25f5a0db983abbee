"""Reactivating a staff member or sending them a new invitation, refused: the staff page it was asked from answers
409 with the reason in plain words at its top, and nothing is written."""

import html

import pytest

from apps.accounts.models import Invitation, User
from apps.accounts.services import staff_deactivate, therapist_profile_change
from apps.audit.models import AccessLog
from tests.accounts.test_supervisee_leaving import invited_under
from tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db


def _url(user, action: str) -> str:
    return f"/accounts/users/{user.pk}/{action}/"


def _invited(personas, *, supervisor=None) -> User:
    return invited_under(supervisor, personas)


def _therapist_leaves(personas) -> None:
    staff_deactivate(actor=personas.admin, user=personas.therapist)


def _active(personas):
    return TherapistFactory(first_name="Ada", last_name="Active"), "Ada Active is already active."


def _never_accepted(personas):
    return _invited(personas), "Ivy Invited never accepted their invitation: send them a new one instead."


def _supervisee_whose_supervisor_left(personas):
    """A pre-licensed therapist who left; their supervisor left after them."""
    supervisee = TherapistFactory(first_name="Lena", last_name="Left")
    therapist_profile_change(actor=personas.admin, user=supervisee, is_prelicensed=True, supervisor=personas.therapist)
    staff_deactivate(actor=personas.admin, user=supervisee)
    _therapist_leaves(personas)
    return supervisee, (
        "Choose Lena Left an active supervisor on their clinical profile before reactivating them: Theo Rapist "
        "cannot supervise (they are not active)."
    )


def _accepted(personas):
    return TherapistFactory(first_name="Ada", last_name="Active"), "Ada Active has accepted their invitation already."


def _invited_whose_supervisor_left(personas):
    invited = _invited(personas, supervisor=personas.therapist)
    staff_deactivate(actor=personas.admin, user=invited)  # the link withdrawn: they may be invited again
    _therapist_leaves(personas)
    return invited, (
        "Choose Ivy Invited an active supervisor on their clinical profile before inviting them again: Theo Rapist "
        "cannot supervise (they are not active)."
    )


REFUSALS = [
    pytest.param("reactivate", _active, id="reactivate-already-active"),
    pytest.param("reactivate", _never_accepted, id="reactivate-never-accepted"),
    pytest.param("reactivate", _supervisee_whose_supervisor_left, id="reactivate-supervisor-left"),
    pytest.param("invite-again", _accepted, id="invite-again-accepted"),
    pytest.param("invite-again", _invited_whose_supervisor_left, id="invite-again-supervisor-left"),
]


def _written(member: User) -> tuple:
    """What a reactivation or a new invitation would write: the account, its invitations, the access log."""
    account = User.objects.filter(pk=member.pk).values("is_active", "password", "last_login").get()
    invitations = list(Invitation.objects.filter(email=member.email).order_by("pk").values())
    logged = AccessLog.objects.filter(action__in=["staff_reactivate", "staff_reinvite"]).count()
    return account, invitations, logged


@pytest.mark.parametrize(("action", "case"), REFUSALS)
def test_a_refused_access_change_answers_409_on_the_staff_page_with_the_reason(personas, login, action, case):
    member, said = case(personas)

    response = login(personas.admin).post(_url(member, action))

    body = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert "accounts/staff_detail.html" in [template.name for template in response.templates]
    assert 'id="error-summary"' in body and "Nothing was changed" in body and said in body


@pytest.mark.parametrize(("action", "case"), REFUSALS)
def test_a_refused_access_change_writes_nothing(personas, login, action, case):
    member, _ = case(personas)
    admin = login(personas.admin)
    before = _written(member)

    assert admin.post(_url(member, action)).status_code == 409

    assert _written(member) == before


def test_the_reason_is_said_once_on_the_page(personas, login):
    member, _ = _supervisee_whose_supervisor_left(personas)
    body = html.unescape(login(personas.admin).post(_url(member, "reactivate")).content.decode())
    assert body.count("before reactivating them") == 1


@pytest.mark.parametrize("action", ["reactivate", "invite-again"])
@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user"])
def test_only_an_admin_reactivates_or_invites_again(personas, login, action, persona):
    member = _invited(personas)
    staff_deactivate(actor=personas.admin, user=member)
    before = _written(member)

    response = login(getattr(personas, persona)).post(_url(member, action))

    assert response.status_code == 403 and "Ivy" not in response.content.decode()
    assert _written(member) == before
