"""Every write to treatment plans. A draft belongs to its author until signed; signing locks it and, in the same
transaction, supersedes the patient's previous signed plan, so a patient never has two active plans."""

from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.encryption import encrypt_text
from apps.core.errors import Conflict, InvalidTransition, NotFound, Unprocessable
from apps.core.permissions import permission_require
from apps.patients.models import Patient

from .models import Goal, Intervention, Problem, TreatmentPlan, TreatmentPlanStatus
from .plan_content import plan_clean, plan_incomplete, plan_parts_decrypt

# What the signer attests to; stored on the plan with the signature.
PLAN_ATTESTATION = (
    "I attest that this treatment plan reflects my clinical assessment, that I developed it with the patient, "
    "and that it is accurate and complete."
)


def _locked(plan: TreatmentPlan) -> TreatmentPlan:
    locked = TreatmentPlan.objects.select_for_update(of=("self",)).filter(pk=plan.pk).select_related("patient").first()
    if locked is None:
        raise NotFound("No such treatment plan.")
    return locked


def _parts_replace(plan: TreatmentPlan, content: dict) -> None:
    """A draft's parts are rewritten whole on every save; only drafts have parts that may change."""
    Intervention.objects.filter(plan=plan).delete()
    Problem.objects.filter(plan=plan).delete()  # and their goals
    interventions: list[Intervention] = []
    for p_index, problem_content in enumerate(content["problems"]):
        problem = Problem.objects.create(
            plan=plan, position=p_index, content_encrypted=encrypt_text(problem_content["text"])
        )
        for g_index, goal_content in enumerate(problem_content["goals"]):
            goal = Goal.objects.create(
                problem=problem,
                position=g_index,
                content_encrypted=encrypt_text(goal_content["description"]),
                measure=goal_content["measure"],
                target_score=goal_content["target_score"],
                direction=goal_content["direction"],
                target_date=goal_content["target_date"],
            )
            interventions += [
                Intervention(plan=plan, goal=goal, content_encrypted=encrypt_text(text))
                for text in goal_content["interventions"]
            ]
    interventions += [
        Intervention(plan=plan, content_encrypted=encrypt_text(text)) for text in content["interventions"]
    ]
    for position, intervention in enumerate(interventions):
        intervention.position = position
    Intervention.objects.bulk_create(interventions)


@transaction.atomic
def plan_create(*, actor, patient: Patient, start_date, review_date, content: dict) -> TreatmentPlan:
    """Start a draft plan for a patient the actor treats. One draft per therapist and patient (a unique index):
    a second one is refused so work is never split across two drafts."""
    permission_require(actor, "notes.add_plan", patient, "You may only write plans for patients you treat.")
    start, review, cleaned = plan_clean(start_date=start_date, review_date=review_date, content=content, complete=False)
    plan = TreatmentPlan(patient=patient, author=actor, start_date=start, review_date=review)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise Conflict("You already have a draft plan for this patient. Continue that draft instead.") from None
    _parts_replace(plan, cleaned)
    return plan


@transaction.atomic
def plan_update(*, actor, plan: TreatmentPlan, start_date, review_date, content: dict) -> TreatmentPlan:
    """Replace a draft's dates and content. A signed plan refuses (the database does too); revise it as a new plan."""
    plan = _locked(plan)
    permission_require(actor, "notes.change_plan", plan)
    if plan.status != TreatmentPlanStatus.DRAFT:
        raise InvalidTransition("This plan is signed and can no longer change. Start a revised plan instead.")
    start, review, cleaned = plan_clean(start_date=start_date, review_date=review_date, content=content, complete=False)
    plan.start_date, plan.review_date = start, review
    plan.save(update_fields=["start_date", "review_date", "updated_at"])
    _parts_replace(plan, cleaned)
    return plan


@transaction.atomic
def plan_sign(*, actor, plan: TreatmentPlan, attest: bool) -> TreatmentPlan:
    """Sign a complete draft with the attestation: from here on the database refuses changes to it and its parts.

    The patient's signed plan, if any, becomes superseded by this one in the same transaction. The patient row is
    locked first, so two plans for the same patient signed at the same moment are signed one after the other (the
    later one supersedes the earlier); the partial unique index holds the one-active-plan rule regardless.
    """
    Patient.objects.select_for_update().filter(pk=plan.patient_id).first()
    plan = _locked(plan)
    permission_require(actor, "notes.sign_plan", plan)
    if plan.status != TreatmentPlanStatus.DRAFT:
        raise InvalidTransition("This plan is already signed.")
    if attest is not True:
        raise Unprocessable(
            "Attest to the plan to sign it.", fields={"attest": ["Tick the box to attest to this plan."]}
        )
    if missing := plan_incomplete(plan_parts_decrypt(plan)):
        raise Unprocessable("Complete the plan before signing it.", fields=missing)
    now = clock.now()
    previous = (
        TreatmentPlan.objects.select_for_update()
        .filter(patient_id=plan.patient_id, status=TreatmentPlanStatus.SIGNED)
        .first()
    )
    if previous is not None:
        previous.status = TreatmentPlanStatus.SUPERSEDED
        previous.superseded_at = now
        previous.superseded_by = plan
        previous.save(update_fields=["status", "superseded_at", "superseded_by", "updated_at"])
    plan.status = TreatmentPlanStatus.SIGNED
    plan.signed_at = now
    plan.signed_by = actor
    plan.attestation = PLAN_ATTESTATION
    try:
        with transaction.atomic():
            plan.save(update_fields=["status", "signed_at", "signed_by", "attestation", "updated_at"])
    except IntegrityError:
        raise Conflict("Another plan for this patient was signed at the same moment. Reload and try again.") from None
    return plan
