"""Who may supervise a therapist is one rule: the list a supervisor field offers (selectors.supervisors_eligible) and
the refusal of a supervisor named (services.therapist_supervision_check) are the same predicates, so a candidate is
offered exactly when naming them is accepted, and a refused one is told the predicates they fail."""

import pytest

from apps.accounts import selectors
from apps.accounts.disciplines import Discipline
from apps.accounts.models import TherapistProfile
from apps.accounts.roles import Role
from apps.accounts.services import therapist_supervision_check
from apps.core.errors import Unprocessable
from tests.factories import TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidates(personas):
    """The therapist to be supervised (psychotherapy, pre-licensed-to-be) and who might supervise them, each with the
    predicates they fail."""
    therapist = personas.other_therapist
    below = TherapistFactory(first_name="Direct", last_name="Supervisee")
    TherapistProfile.objects.filter(user=below).update(supervisor=therapist)
    further = TherapistFactory(first_name="Chain", last_name="Supervisee")
    TherapistProfile.objects.filter(user=further).update(supervisor=below)
    no_profile = UserFactory(first_name="No", last_name="Profile", roles=[Role.THERAPIST])
    inactive_bodywork = TherapistFactory(is_active=False, profile__discipline=Discipline.BODYWORK)
    return therapist, {
        personas.therapist: set(),
        no_profile: set(),  # a therapist without a profile row is a licensed psychotherapist
        therapist: {"other"},
        TherapistFactory(is_active=False): {"active"},
        TherapistFactory(profile__is_prelicensed=True, profile__supervisor=personas.therapist): {"licensed"},
        TherapistFactory(profile__discipline=Discipline.BODYWORK): {"discipline"},
        UserFactory(roles=[Role.FRONT_DESK]): {"therapist"},
        personas.admin: {"therapist"},  # no profile: of the default discipline
        below: {"outside_supervision"},
        further: {"outside_supervision"},
        inactive_bodywork: {"active", "discipline"},
    }


def _accepted(therapist, candidate) -> bool:
    """Naming `candidate` is accepted (the therapist stays licensed: they supervise someone themselves)."""
    try:
        therapist_supervision_check(
            therapist=therapist, is_prelicensed=False, supervisor=candidate, discipline=Discipline.PSYCHOTHERAPY
        )
    except Unprocessable:
        return False
    return True


def test_the_list_offered_and_the_refusal_agree_on_every_candidate(candidates):
    therapist, expected = candidates
    offered = set(selectors.supervisors_eligible(therapist=therapist, discipline=Discipline.PSYCHOTHERAPY))
    for candidate, failing in expected.items():
        assert (candidate in offered) is (not failing), candidate
        assert _accepted(therapist, candidate) is (candidate in offered), candidate


def test_a_refused_supervisor_is_told_each_predicate_they_fail(candidates):
    therapist, expected = candidates
    for candidate, failing in expected.items():
        found = selectors.supervisor_shortfalls(
            therapist=therapist, supervisor=candidate, discipline=Discipline.PSYCHOTHERAPY
        )
        assert found == failing, candidate


def test_the_same_predicates_answer_for_another_discipline(candidates):
    therapist, expected = candidates
    bodywork = set(selectors.supervisors_eligible(therapist=therapist, discipline=Discipline.BODYWORK))
    for candidate in expected:
        failing = selectors.supervisor_shortfalls(
            therapist=therapist, supervisor=candidate, discipline=Discipline.BODYWORK
        )
        assert (candidate in bodywork) is (not failing), candidate


def test_a_supervisor_who_cannot_supervise_anyone_is_told_every_reason(personas):
    gone = TherapistFactory(
        first_name="Gone",
        last_name="Trainee",
        is_active=False,
        profile__is_prelicensed=True,
        profile__supervisor=personas.therapist,
    )
    with pytest.raises(Unprocessable) as refused:
        therapist_supervision_check(
            therapist=personas.other_therapist,
            is_prelicensed=True,
            supervisor=gone,
            discipline=Discipline.PSYCHOTHERAPY,
        )
    assert "Gone Trainee cannot supervise (they are not active and they are pre-licensed)" in refused.value.message
    assert refused.value.fields["supervisor"] == ["Not a therapist who can supervise."]
