"""Two changes to who supervises whom, or to a supervisor's licence or discipline, made at the same moment: each
takes the staff-changes lock, so the second is checked against what the first made, and the clinic never ends with
a pre-licensed supervisor (two therapists named each other's, say) or one of another discipline."""

import pytest

from apps.accounts.disciplines import Discipline
from apps.accounts.models import TherapistProfile
from apps.accounts.services import therapist_profile_change
from apps.core.errors import Unprocessable
from tests.factories import TherapistFactory
from tests.locking import HeldElsewhere, at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _supervisions_the_clinic_cannot_work_with() -> list[TherapistProfile]:
    """Profiles whose supervisor is pre-licensed or of another discipline."""
    supervised = TherapistProfile.objects.filter(supervisor__isnull=False).select_related(
        "supervisor__therapist_profile"
    )
    return [
        profile
        for profile in supervised
        if profile.supervisor.therapist_profile.is_prelicensed
        or profile.supervisor.therapist_profile.discipline != profile.discipline
    ]


@pytest.mark.parametrize("first_supervised_by", ["the second", "a third therapist on the staff page"])
def test_a_therapist_made_prelicensed_while_named_a_supervisor_is_refused_as_supervisor(personas, first_supervised_by):
    first, second = personas.therapist, personas.other_therapist
    if first_supervised_by == "the second":  # the two would supervise each other

        def first_made_prelicensed():
            therapist_profile_change(actor=personas.admin, user=first, is_prelicensed=True, supervisor=second)

    else:
        third = TherapistFactory()

        def first_made_prelicensed():
            therapist_profile_change(actor=personas.admin, user=first, is_prelicensed=True, supervisor=third)

    held = HeldElsewhere(first_made_prelicensed)
    held.release_soon()
    with pytest.raises(Unprocessable, match="cannot supervise|supervises 1 therapist"):
        therapist_profile_change(actor=personas.admin, user=second, is_prelicensed=True, supervisor=first)
    held.join()
    assert held.committed.is_set()
    assert TherapistProfile.objects.get(user=first).is_prelicensed
    assert TherapistProfile.objects.get(user=second).supervisor is None
    assert _supervisions_the_clinic_cannot_work_with() == []


def test_a_supervisor_whose_discipline_changes_meanwhile_is_refused(personas):
    first, second = personas.therapist, personas.other_therapist
    held = HeldElsewhere(
        lambda: therapist_profile_change(actor=personas.admin, user=first, discipline=Discipline.BODYWORK)
    )
    held.release_soon()
    with pytest.raises(Unprocessable, match="same discipline"):
        therapist_profile_change(actor=personas.admin, user=second, is_prelicensed=True, supervisor=first)
    held.join()
    assert TherapistProfile.objects.get(user=first).discipline == Discipline.BODYWORK
    assert TherapistProfile.objects.get(user=second).supervisor is None
    assert _supervisions_the_clinic_cannot_work_with() == []


def test_two_licensed_therapists_named_each_others_supervisor_at_once_end_with_one_supervising(personas):
    first, second = personas.therapist, personas.other_therapist
    outcomes = at_once(
        lambda: therapist_profile_change(actor=personas.admin, user=first, supervisor=second),
        lambda: therapist_profile_change(actor=personas.admin, user=second, supervisor=first),
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Unprocessable), outcomes
    assert "is supervised by" in refused[0].message
    supervised = TherapistProfile.objects.filter(user__in=[first, second], supervisor__isnull=False)
    assert supervised.count() == 1
