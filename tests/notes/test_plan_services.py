"""Writing, updating and signing treatment plans through the services."""

import datetime as dt

import pytest
from django.db import connection

from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, PermissionDenied, Unprocessable
from apps.notes.models import Goal, Intervention, TreatmentPlan
from apps.notes.plan_selectors import plan_open
from apps.notes.plan_services import PLAN_ATTESTATION, plan_sign, plan_update

from .conftest import CANARY, draft_plan_for, plan_content, signed_plan_for

pytestmark = pytest.mark.django_db


def _today():
    return clock.local_now().date()


def test_a_draft_keeps_problems_goals_and_interventions_in_order(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    opened = plan_open(user=personas.therapist, plan_id=plan.pk)
    assert opened.content() == plan_content()
    assert [goal.goal.measure for goal in opened.goals] == ["phq9", "pain_nrs"]
    assert Intervention.objects.filter(plan=plan, goal__isnull=True).count() == 1


def test_plan_text_is_encrypted_at_rest(personas):
    content = plan_content(description=f"Goal {CANARY}")
    content["problems"][0]["text"] = f"Problem {CANARY}"
    content["interventions"] = [f"Intervention {CANARY}"]
    draft_plan_for(personas.therapist, personas.patient, content=content)
    with connection.cursor() as cursor:
        for table in [
            "notes_treatmentplan",
            "notes_treatmentplanevent",
            "notes_problem",
            "notes_goal",
            "notes_intervention",
        ]:
            cursor.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t")
            assert CANARY not in cursor.fetchone()[0], table


def test_updating_a_draft_replaces_its_content_and_dates(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    content = plan_content(target_score=5)
    del content["problems"][0]["goals"][1]
    plan_update(
        actor=personas.therapist,
        plan=plan,
        start_date=_today(),
        review_date=_today() + dt.timedelta(days=60),
        content=content,
    )
    plan.refresh_from_db()
    assert plan.review_date == _today() + dt.timedelta(days=60)
    assert list(Goal.objects.filter(problem__plan=plan).values_list("target_score", flat=True)) == [5]
    assert plan_open(user=personas.therapist, plan_id=plan.pk).content() == content


def test_only_treating_therapists_start_a_plan(personas):
    with pytest.raises(PermissionDenied):
        draft_plan_for(personas.other_therapist, personas.patient)
    for user in (personas.front_desk, personas.billing, personas.admin, personas.patient_user):
        with pytest.raises(PermissionDenied):
            draft_plan_for(user, personas.patient)
    assert not TreatmentPlan.objects.exists()


def test_a_second_draft_for_the_same_patient_conflicts(personas):
    draft_plan_for(personas.therapist, personas.patient)
    with pytest.raises(Conflict, match="already have a draft"):
        draft_plan_for(personas.therapist, personas.patient)


def test_only_the_author_changes_or_signs_a_draft(personas, colleague):
    plan = draft_plan_for(personas.therapist, personas.patient)
    with pytest.raises(PermissionDenied):
        plan_update(actor=colleague, plan=plan, start_date=_today(), review_date=plan.review_date, content={})
    with pytest.raises(PermissionDenied):
        plan_sign(actor=colleague, plan=plan, attest=True)


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"target_score": 28}, {"problems.0.goals.0.target_score": ["PHQ-9 scores run from 0 to 27."]}),
        (
            {"measure": "", "direction": ""},
            {"problems.0.goals.0.measure": ["Choose the measure this target is a score on."]},
        ),
        ({"direction": ""}, {"problems.0.goals.0.direction": ["Choose at most or at least."]}),
        ({"measure": "bdi"}, {"problems.0.goals.0.measure": ["Choose one of the measures."]}),
        ({"target_score": "nine"}, {"problems.0.goals.0.target_score": ["Enter a whole number."]}),
        ({"target_date": "2020-01-01"}, {"problems.0.goals.0.target_date": ["Choose a date after the plan starts."]}),
        ({"description": "x" * 2001}, {"problems.0.goals.0.description": ["Keep this under 2000 characters."]}),
    ],
)
def test_bad_goals_are_refused_with_a_message_on_the_field(personas, change, errors):
    with pytest.raises(Unprocessable) as refused:
        draft_plan_for(personas.therapist, personas.patient, content=plan_content(**change))
    assert refused.value.fields == errors
    assert not TreatmentPlan.objects.exists()


def test_the_review_date_must_follow_the_start(personas):
    with pytest.raises(Unprocessable) as refused:
        draft_plan_for(personas.therapist, personas.patient, review_after_days=0)
    assert refused.value.fields == {"review_date": ["Choose a review date after the plan starts."]}


def test_a_draft_may_be_incomplete_but_signing_needs_it_whole(personas):
    content = {
        "problems": [
            {"text": "", "goals": []},
            {"text": "Neck tension.", "goals": [{"description": "", "measure": "gad7", "interventions": [""]}]},
        ],
        "interventions": [],
    }
    plan = draft_plan_for(personas.therapist, personas.patient, content=content)
    with pytest.raises(Unprocessable) as refused:
        plan_sign(actor=personas.therapist, plan=plan, attest=True)
    assert refused.value.fields == {
        "problems.0.text": ["Describe the problem."],
        "problems.0.goals": ["Add at least one goal."],
        "problems.1.goals.0.description": ["Describe the goal."],
        "problems.1.goals.0.interventions.0": ["Describe the intervention."],
        "problems.1.goals.0.direction": ["Choose at most or at least."],
        "problems.1.goals.0.target_score": ["Set the target score."],
    }
    empty = draft_plan_for(personas.other_therapist, personas.other_patient, content={"problems": []})
    with pytest.raises(Unprocessable) as refused:
        plan_sign(actor=personas.other_therapist, plan=empty, attest=True)
    assert refused.value.fields == {"problems": ["Add at least one problem."]}


def test_signing_needs_the_attestation(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    with pytest.raises(Unprocessable) as refused:
        plan_sign(actor=personas.therapist, plan=plan, attest=False)
    assert refused.value.fields == {"attest": ["Tick the box to attest to this plan."]}
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "draft"


def test_signing_locks_the_plan_and_records_the_attestation(personas):
    plan = signed_plan_for(personas.therapist, personas.patient)
    assert (plan.status, plan.signed_by, plan.attestation) == ("signed", personas.therapist, PLAN_ATTESTATION)
    with pytest.raises(InvalidTransition, match="signed and can no longer change"):
        plan_update(actor=personas.therapist, plan=plan, start_date=_today(), review_date=plan.review_date, content={})
    with pytest.raises(InvalidTransition, match="already signed"):
        plan_sign(actor=personas.therapist, plan=plan, attest=True)


def test_signing_a_revision_supersedes_the_plan_in_force(personas, colleague):
    first = signed_plan_for(personas.therapist, personas.patient)
    revision = signed_plan_for(colleague, personas.patient, content=plan_content(target_score=7))
    first.refresh_from_db()
    assert first.status == "superseded"
    assert first.superseded_by == revision and first.superseded_at == revision.signed_at
    assert list(TreatmentPlan.objects.filter(patient=personas.patient, status="signed")) == [revision]


def test_every_read_of_plan_text_is_logged_and_refusals_too(personas):
    plan = draft_plan_for(personas.therapist, personas.patient)
    plan_open(user=personas.therapist, plan_id=plan.pk)
    with pytest.raises(Exception, match="No such treatment plan"):
        plan_open(user=personas.admin, plan_id=plan.pk)
    rows = AccessLog.objects.filter(subject_type="notes.treatmentplan", subject_id=str(plan.pk)).order_by("at", "pk")
    assert [(row.actor, row.action, row.allowed, row.patient_id) for row in rows] == [
        (personas.therapist, "plan_view", True, personas.patient.pk),
        (personas.admin, "plan_view", False, personas.patient.pk),
    ]
