"""Treatment-plan invariants the database holds on its own: one active plan per patient, review after start,
targets within the instrument's range, and a signed plan (with its problems, goals and interventions) that never
changes except to be superseded once."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.encryption import encrypt_text
from apps.notes.models import Goal, Intervention, Problem, TreatmentPlan
from apps.notes.plan_services import plan_sign
from tests.locking import at_once

from .conftest import draft_plan_for, signed_plan_for

pytestmark = pytest.mark.django_db


def _refused(match: str):
    return pytest.raises(IntegrityError, match=match)


def test_a_patient_never_has_two_active_plans_even_written_straight_to_the_table(personas, colleague):
    signed = signed_plan_for(personas.therapist, personas.patient)
    second = draft_plan_for(colleague, personas.patient)
    with _refused("one_active_treatment_plan_per_patient"), transaction.atomic():
        TreatmentPlan.objects.filter(pk=second.pk).update(
            status="signed", signed_at=clock.now(), signed_by=colleague, attestation="I attest."
        )
    assert TreatmentPlan.objects.get(pk=signed.pk).status == "signed"


def test_the_review_date_falls_after_the_start(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    with _refused("plan_review_after_start"), transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(review_date=plan.start_date)


@pytest.mark.parametrize(("measure", "target"), [("pain_nrs", 11), ("phq9", 28), ("gad7", 22)])
def test_targets_stay_within_the_instruments_range(personas, measure, target):
    plan = draft_plan_for(personas.therapist, personas.patient)
    goal = Goal.objects.filter(problem__plan=plan).first()
    with _refused("goal_target_within_instrument_range"), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).update(measure=measure, target_score=target)
    Goal.objects.filter(pk=goal.pk).update(measure=measure, target_score=target - 1)


def test_a_target_names_its_measure_and_direction(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    goal = Goal.objects.filter(problem__plan=plan).first()
    with _refused("goal_target_has_measure_and_direction"), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).update(measure="")
    with _refused("goal_target_has_measure_and_direction"), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).update(direction="")


def test_a_signature_needs_the_attestation(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    with _refused("plan_signature_matches_status"), transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(
            status="signed", signed_at=clock.now(), signed_by=personas.therapist
        )


def test_a_signed_plan_and_its_parts_never_change(personas):
    plan = signed_plan_for(personas.therapist, personas.patient)
    problem = Problem.objects.get(plan=plan)
    goal = Goal.objects.filter(problem=problem).first()
    intervention = Intervention.objects.filter(plan=plan).first()
    for change in [
        lambda: TreatmentPlan.objects.filter(pk=plan.pk).update(review_date=plan.review_date + dt.timedelta(days=1)),
        lambda: TreatmentPlan.objects.filter(pk=plan.pk).update(status="draft", signed_at=None, signed_by=None),
        lambda: TreatmentPlan.objects.filter(pk=plan.pk).delete(),
        lambda: Problem.objects.filter(pk=problem.pk).update(content_encrypted=encrypt_text("Rewritten")),
        lambda: Problem.objects.create(plan=plan, position=5, content_encrypted=encrypt_text("Added")),
        lambda: Goal.objects.filter(pk=goal.pk).update(target_score=1),
        lambda: Goal.objects.filter(pk=goal.pk).delete(),
        lambda: Intervention.objects.filter(pk=intervention.pk).update(position=40),
        lambda: Intervention.objects.create(plan=plan, position=41, content_encrypted=encrypt_text("Added")),
    ]:
        with _refused(r"signed treatment plan|is signed and cannot change"), transaction.atomic():
            change()
    assert TreatmentPlan.objects.get(pk=plan.pk).review_date == plan.review_date
    assert Goal.objects.get(pk=goal.pk).target_score == 9


def test_superseding_is_the_one_change_a_signed_plan_takes_and_only_once(personas):
    first = signed_plan_for(personas.therapist, personas.patient)
    second = signed_plan_for(personas.therapist, personas.patient)
    first.refresh_from_db()
    assert (first.status, first.superseded_by_id) == ("superseded", second.pk)
    with _refused("cannot change"), transaction.atomic():
        TreatmentPlan.objects.filter(pk=first.pk).update(superseded_at=clock.now())
    third = draft_plan_for(personas.therapist, personas.patient)
    with _refused("cannot change"), transaction.atomic():
        # Superseding a signed plan may not smuggle in another change.
        TreatmentPlan.objects.filter(pk=second.pk).update(
            status="superseded", superseded_at=clock.now(), superseded_by=third, review_date=second.start_date
        )


def test_a_drafts_parts_change_freely(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    Problem.objects.filter(plan=plan).update(content_encrypted=encrypt_text("Reworded"))
    Intervention.objects.filter(plan=plan).delete()
    assert not Intervention.objects.filter(plan=plan).exists()


def test_an_intervention_cannot_hang_from_another_plans_goal(personas):
    mine = draft_plan_for(personas.therapist, personas.patient)
    other = draft_plan_for(personas.other_therapist, personas.other_patient)
    foreign_goal = Goal.objects.filter(problem__plan=other).first()
    with _refused("goal of another plan"), transaction.atomic():
        Intervention.objects.create(plan=mine, goal=foreign_goal, position=30, content_encrypted=encrypt_text("x"))


def test_a_therapist_keeps_one_draft_per_patient(personas):
    draft_plan_for(personas.therapist, personas.patient)
    with _refused("one_draft_plan_per_author_and_patient"), transaction.atomic():
        TreatmentPlan.objects.create(
            patient=personas.patient,
            author=personas.therapist,
            start_date=clock.local_now().date(),
            review_date=clock.local_now().date() + dt.timedelta(days=30),
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_plans_signed_at_the_same_moment_leave_one_active_plan(personas, colleague, attempt):
    """Two treating therapists sign a plan for the same patient at once: both signatures go through, one after the
    other, and the later one supersedes the earlier."""
    drafts = [draft_plan_for(personas.therapist, personas.patient), draft_plan_for(colleague, personas.patient)]
    outcomes = at_once(*[lambda plan=plan: plan_sign(actor=plan.author, plan=plan, attest=True) for plan in drafts])

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    plans = {plan.pk: plan for plan in TreatmentPlan.objects.filter(patient=personas.patient)}
    assert sorted(plan.status for plan in plans.values()) == ["signed", "superseded"]
    earlier = next(plan for plan in plans.values() if plan.status == "superseded")
    later = next(plan for plan in plans.values() if plan.status == "signed")
    assert earlier.superseded_by_id == later.pk and earlier.signed_at <= later.signed_at
