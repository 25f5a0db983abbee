"""A self-harm answer waiting for review reaches every psychotherapist who treats the patient now, even when the
notice after the change that made them treating was lost (the process died after the commit) or no such notice
exists (an account reactivated, a provider's discipline changed to psychotherapy): the sweep run by beat tells them,
with the same email under the same key, so nobody is told twice, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.disciplines import Discipline
from apps.accounts.services import staff_deactivate, staff_reactivate, therapist_profile_change
from apps.notifications.models import Message
from apps.notifications.outbox import message_enqueue
from apps.outcomes import tasks
from apps.patients.models import Patient
from apps.patients.services import patient_update
from apps.programs.services.seats import program_enroll
from tests.factories import TherapistFactory
from tests.outcomes.flags import answer_before, told
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db


def test_a_notice_lost_after_the_commit_is_sent_by_the_sweep_once(personas, login, group_member):
    member, first = group_member
    answer_before(member, first)
    # The change commits; its after-commit notice never runs (the process died right after the commit).
    patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.therapist)
    assert told() == set()
    assert member.display_name not in login(personas.front_desk).get("/").content.decode()

    assert tasks.open_flags_sweep() == 1
    assert tasks.open_flags_sweep() == 0

    [message] = Message.objects.filter(template="measure_flag")
    assert message.recipient_user == personas.therapist
    assert set(message.context) == {"patient_initials", "chart_url"}


def test_who_was_told_already_is_not_told_again_nor_about_a_reviewed_answer(personas, group_member):
    member, first = group_member
    response = answer_before(member, first)
    patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.therapist)
    tasks.open_flags_sweep()
    response.flag_reviewed_at = response.submitted_at
    response.save(update_fields=["flag_reviewed_at"])
    patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.other_therapist)

    assert tasks.open_flags_sweep() == 0
    assert told() == {personas.therapist}


def test_a_reactivated_psychotherapist_is_told(personas, group_member):
    member, first = group_member
    Patient.objects.filter(pk=member.pk).update(primary_therapist=personas.therapist)
    staff_deactivate(actor=personas.admin, user=personas.therapist)
    answer_before(member, first)
    assert told() == set()
    assert tasks.open_flags_sweep() == 0

    staff_reactivate(actor=personas.admin, user=personas.therapist)
    tasks.open_flags_sweep()

    assert told() == {personas.therapist}


def test_a_provider_whose_discipline_becomes_psychotherapy_is_told(personas, group_member):
    member, first = group_member
    provider = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    Patient.objects.filter(pk=member.pk).update(primary_therapist=provider)
    answer_before(member, first)
    assert tasks.open_flags_sweep() == 0

    therapist_profile_change(actor=personas.admin, user=provider, discipline=Discipline.PSYCHOTHERAPY)
    tasks.open_flags_sweep()

    assert told() == {provider}


def _members_answered_and_treated(personas, make_patients, n):
    program = scheduled_program(actor=personas.front_desk, capacity=n, outcome_questionnaires=["phq9"])
    members = make_patients(n)
    for member in members:
        program_enroll(actor=personas.front_desk, program=program, patient=member)
    first = program.meetings.order_by("appointment__start").first().appointment
    for member in members:
        answer_before(member, first)
    Patient.objects.filter(pk__in=[m.pk for m in members]).update(primary_therapist=personas.therapist)
    return members


def _sweep_queries():
    with CaptureQueriesContext(connection) as queries:
        told_now = tasks.open_flags_sweep()
    return told_now, len(queries)


def test_the_sweeps_queries_do_not_grow_with_the_number_of_patients(personas, make_patients):
    _members_answered_and_treated(personas, make_patients, 1)
    one = _sweep_queries()
    _members_answered_and_treated(personas, make_patients, 4)
    four = _sweep_queries()
    nothing_left = _sweep_queries()

    assert one[0] == 1 and four[0] == 4 and nothing_left[0] == 0
    assert four[1] == one[1], (one, four)
    assert nothing_left[1] <= one[1]


def test_a_psychotherapist_told_under_the_earlier_key_is_not_told_again(personas, group_member):
    member, first = group_member
    response = answer_before(member, first)
    Patient.objects.filter(pk=member.pk).update(primary_therapist=personas.therapist)
    # Releases before per-clinician keys queued one email per answer, keyed without the clinician.
    message_enqueue(
        channel="email",
        to_address=personas.therapist.email,
        purpose="measure_flag",
        template="measure_flag",
        subject=response,
        send_at=response.submitted_at,
        dedupe_key=f"questionnaireresponse:{response.pk}:measure_flag",
        recipient_user=personas.therapist,
        context={},
    )

    assert tasks.open_flags_sweep() == 0
    assert Message.objects.filter(template="measure_flag").count() == 1


def test_the_notice_after_a_change_does_not_tell_again_one_told_under_the_earlier_key(
    personas,
    group_member,
    django_capture_on_commit_callbacks,
):
    member, first = group_member
    response = answer_before(member, first)
    message_enqueue(
        channel="email",
        to_address=personas.therapist.email,
        purpose="measure_flag",
        template="measure_flag",
        subject=response,
        send_at=response.submitted_at,
        dedupe_key=f"questionnaireresponse:{response.pk}:measure_flag",
        recipient_user=personas.therapist,
        context={},
    )

    with django_capture_on_commit_callbacks(execute=True):
        patient_update(actor=personas.front_desk, patient=member, primary_therapist=personas.therapist)

    assert Message.objects.filter(template="measure_flag").count() == 1
