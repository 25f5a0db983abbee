"""A PHQ-9 self-harm answer reaches every psychotherapist treating the patient, and nobody who could not open it:
not a group's facilitator, not a massage and bodywork provider. With no psychotherapist at all, it waits on the front
desk's home until one is set."""

import datetime as dt
import functools

import pytest

from apps.accounts.disciplines import Discipline
from apps.core import clock
from apps.notifications.models import Message
from apps.outcomes.models import QuestionnaireResponse
from apps.patients.extensions import treating_changed
from apps.patients.services import patient_update
from apps.scheduling.services import appointment_reschedule
from tests.factories import AppointmentFactory, TherapistFactory
from tests.outcomes.flags import answer_before, told

pytestmark = pytest.mark.django_db


def test_the_groups_facilitator_is_not_told_and_the_member_waits_on_the_front_desks_home(personas, login, group_member):
    member, first = group_member
    answer_before(member, first)

    assert first.therapist not in told()
    assert told() == set()
    home = login(personas.front_desk).get("/").content.decode()
    assert member.display_name in home
    assert "PHQ" not in home and "harm" not in home


def test_the_members_own_psychotherapist_seen_in_sessions_is_told_and_can_review(personas, login, group_member):
    member, first = group_member
    AppointmentFactory(therapist=personas.therapist, patient=member, status="completed")
    response = answer_before(member, first)

    assert told() == {personas.therapist}
    assert all(user.has_perm("outcomes.review_flag", response) for user in told())
    assert login(personas.therapist).get(f"/notes/patients/{member.pk}/chart/").status_code == 200
    assert member.display_name not in login(personas.front_desk).get("/").content.decode()


def test_a_bodywork_primary_provider_is_not_told_but_the_psychotherapist_is(personas, group_member):
    member, first = group_member
    bodywork = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    member.primary_therapist = bodywork
    member.save(update_fields=["primary_therapist"])
    AppointmentFactory(therapist=personas.therapist, patient=member, status="booked")
    AppointmentFactory(therapist=personas.other_therapist, patient=member, status="cancelled")
    response = answer_before(member, first)

    assert told() == {personas.therapist}
    assert not bodywork.has_perm("outcomes.review_flag", response)
    assert QuestionnaireResponse.objects.get(pk=response.pk).flagged


def _book_with(personas, therapist, member, days=3):
    from apps.scheduling.services import appointment_book
    from tests.factories import ServiceTypeFactory

    start = (clock.now() + dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return appointment_book(
        actor=personas.front_desk,
        therapist=therapist,
        patient=member,
        service_type=ServiceTypeFactory(),
        start=start,
        override_reason="Fitted in.",
    )


def test_a_psychotherapist_booked_later_is_told_once_and_the_front_desk_card_clears(
    personas, login, group_member, django_capture_on_commit_callbacks
):
    member, first = group_member
    answer_before(member, first)
    assert told() == set()

    with django_capture_on_commit_callbacks(execute=True):
        _book_with(personas, personas.other_therapist, member)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _book_with(personas, personas.other_therapist, member, days=5)
        appointment_reschedule(
            appointment=appointment,
            actor=personas.front_desk,
            start=appointment.start + dt.timedelta(days=1),
            override_reason="Moved.",
        )

    assert told() == {personas.other_therapist}
    [message] = Message.objects.filter(template="measure_flag")
    assert set(message.context) == {"patient_initials", "chart_url"}
    assert member.display_name not in login(personas.front_desk).get("/").content.decode()


def _reactions_queued(callbacks) -> list:
    return [c for c in callbacks if isinstance(c, functools.partial) and c.func in treating_changed]


def test_a_session_with_the_patients_own_therapist_queues_no_reaction_and_another_therapists_does(
    personas, group_member, django_capture_on_commit_callbacks
):
    member, first = group_member
    answer_before(member, first)
    with django_capture_on_commit_callbacks(execute=True):
        patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.therapist)
    assert told() == {personas.therapist}
    member.refresh_from_db()  # as a request loads the chart

    with django_capture_on_commit_callbacks(execute=True) as own:
        _book_with(personas, personas.therapist, member)
    with django_capture_on_commit_callbacks(execute=True) as other:
        _book_with(personas, personas.other_therapist, member, days=5)

    assert _reactions_queued(own) == []
    assert {c.keywords["patient_id"] for c in _reactions_queued(other)} == {member.pk}
    assert told() == {personas.therapist, personas.other_therapist}


def test_a_psychotherapist_set_as_primary_later_is_told(personas, group_member, django_capture_on_commit_callbacks):
    member, first = group_member
    answer_before(member, first)

    with django_capture_on_commit_callbacks(execute=True):
        patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.therapist)

    assert told() == {personas.therapist}


def test_a_reviewed_answer_is_not_told_to_a_later_psychotherapist(
    personas, group_member, django_capture_on_commit_callbacks
):
    member, first = group_member
    response = answer_before(member, first)
    QuestionnaireResponse.objects.filter(pk=response.pk).update(
        flag_reviewed_at=clock.now(), flag_reviewed_by=personas.other_therapist
    )

    with django_capture_on_commit_callbacks(execute=True):
        patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.therapist)

    assert told() == set()


def test_a_bodywork_provider_booked_later_is_not_told_and_the_card_stays(
    personas, login, group_member, django_capture_on_commit_callbacks
):
    member, first = group_member
    answer_before(member, first)
    bodywork = TherapistFactory(profile__discipline=Discipline.BODYWORK)

    with django_capture_on_commit_callbacks(execute=True):
        patient_update(actor=personas.front_desk, patient=member, primary_therapist=bodywork)

    assert told() == set()
    assert member.display_name in login(personas.front_desk).get("/").content.decode()
