"""Changing a therapist's discipline is refused with every reason at once (sessions booked ahead, notes written,
therapists they supervise, a supervisor of the old discipline), as leaving is: the admin sees all they have to do,
not one reason per attempt. The staff page and the Django admin ask the one check and say the same words."""

import html

import pytest

from apps.accounts.disciplines import Discipline
from apps.accounts.models import TherapistProfile
from apps.accounts.services import therapist_profile_change
from apps.audit.models import AccessLog
from apps.core.errors import Conflict, Unprocessable
from apps.notes.services import process_note_create
from tests.conftest import admin_profile_change
from tests.factories import TherapistFactory, appointment_ahead

pytestmark = pytest.mark.django_db

# Each reason says what is wrong and what to do about it.
SESSIONS = (
    "Theo Rapist has 1 upcoming session(s) of another discipline than massage and bodywork; move or cancel them first."
)
NOTES = (
    "Theo Rapist has written or co-signs 1 note or plan: changing their discipline to massage and bodywork would "
    "change who may read them. Keep their discipline, and give them a second account if they also practice massage "
    "and bodywork."
)
SUPERVISES = (
    "Theo Rapist supervises 1 therapist (Tess Rainee) of their discipline: name them another supervisor before "
    "changing it."
)
SUPERVISOR = (
    "Sue Ccessor is a psychotherapy provider, and a supervisor is of the same discipline as the therapist they "
    "supervise (massage and bodywork): choose a supervisor who practices massage and bodywork, or make Theo Rapist's "
    "discipline psychotherapy, as Sue Ccessor's is."
)
EVERY_REASON = (SESSIONS, NOTES, SUPERVISES, SUPERVISOR)


@pytest.fixture
def held_every_way(personas, trainee, successor):
    """The personas' therapist: a session booked ahead, a process note written, a pre-licensed therapist under their
    supervision, and a psychotherapist supervising them."""
    therapist = personas.therapist
    appointment_ahead(therapist=therapist, patient=personas.patient)
    process_note_create(actor=therapist, patient=personas.patient, text="Rage beneath the politeness.")
    therapist_profile_change(actor=personas.admin, user=therapist, supervisor=successor)
    return therapist


def _says_every_reason(text: str) -> None:
    text = html.unescape(text)
    missing = [reason for reason in EVERY_REASON if reason not in text]
    assert not missing, text


def _unchanged(therapist) -> bool:
    return TherapistProfile.objects.get(user=therapist).discipline == Discipline.PSYCHOTHERAPY


def _refusal(personas, therapist) -> Conflict:
    with pytest.raises(Conflict) as refused:
        therapist_profile_change(actor=personas.admin, user=therapist, discipline=Discipline.BODYWORK)
    return refused.value


def test_the_service_refuses_a_discipline_change_with_every_reason_at_once(personas, held_every_way):
    refused = _refusal(personas, held_every_way)
    assert refused.status == 409
    _says_every_reason(refused.message)
    assert refused.message.startswith("Four things stand in the way of this change to Theo Rapist's clinical profile.")
    assert refused.fields["discipline"] == [
        "Upcoming sessions of another discipline.",
        "Notes already written keep it.",
        "They supervise therapists of this discipline.",
    ]
    assert refused.fields["supervisor"] == ["Not of the same discipline."]
    assert _unchanged(held_every_way)
    assert not AccessLog.objects.filter(action="therapist_profile_change", detail__after__discipline__isnull=False)


def test_the_staff_page_says_every_reason_at_once(personas, held_every_way, login):
    message = _refusal(personas, held_every_way).message
    profile = TherapistProfile.objects.get(user=held_every_way)
    # The section as the page fills it in, the discipline changed: the supervisor stays as named.
    data = {"discipline": Discipline.BODYWORK, "supervisor": profile.supervisor_id, "accepts_new_patients": "on"}
    response = login(personas.admin).post(f"/accounts/users/{held_every_way.pk}/clinical-profile/", data)
    assert response.status_code == 409
    text = html.unescape(response.content.decode())
    _says_every_reason(text)
    assert message in text, "the page says the service's refusal"
    assert _unchanged(held_every_way)


def test_the_django_admin_says_every_reason_at_once_in_the_staff_pages_words(personas, held_every_way, superuser_admin):
    message = _refusal(personas, held_every_way).message
    profile = TherapistProfile.objects.get(user=held_every_way)
    response = admin_profile_change(superuser_admin, profile, discipline=Discipline.BODYWORK)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    _says_every_reason(text)
    assert message in text, "the admin says what the staff page says"
    assert _unchanged(held_every_way)


def test_one_reason_alone_is_said_as_before(personas, trainee):
    with pytest.raises(Conflict) as refused:
        therapist_profile_change(actor=personas.admin, user=personas.therapist, discipline=Discipline.BODYWORK)
    assert refused.value.message == (
        "Theo Rapist supervises 1 therapist (Tess Rainee) of their discipline: name them another supervisor before "
        "changing it."
    )


def test_bad_choices_on_the_form_alone_are_said_together_as_a_422(personas):
    """A supervisor of another discipline and a cap below zero are choices to make again, not conflicts with what is
    recorded: both said at once, each on its field."""
    masseuse = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    with pytest.raises(Unprocessable) as refused:
        therapist_profile_change(
            actor=personas.admin, user=personas.other_therapist, supervisor=masseuse, reduced_fee_cap=-1
        )
    assert refused.value.status == 422
    message = refused.value.message
    assert message.startswith("Two things stand in the way of this change to")
    assert "same discipline" in message and "choose a supervisor who practices psychotherapy, or make" in message
    assert "A cap is a number of patients: enter zero or more, or leave it empty for no cap." in message
    assert set(refused.value.fields) == {"supervisor", "reduced_fee_cap"}
    assert TherapistProfile.objects.get(user=personas.other_therapist).supervisor is None
