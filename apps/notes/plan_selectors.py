"""Reads of treatment plans. Lists carry no plan text; every read of plan text goes through plan_open/plan_read,
which check the rule and write one access-log row, allowed or denied, as note reads do."""

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from apps.accounts.rules import is_psychotherapist
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import NotFound, PermissionDenied
from apps.outcomes import selectors as outcomes_selectors
from apps.patients.models import Patient
from apps.patients.selectors import treating_patients_q

from .models import TreatmentPlan, TreatmentPlanStatus
from .plan_content import OpenedGoal, OpenedPlan, OpenedProblem, plan_parts_decrypt
from .plan_progress import GoalProgress, ScorePoint, goal_progress


def _with_review_due(qs: QuerySet[TreatmentPlan]) -> QuerySet[TreatmentPlan]:
    """`review_due`: the plan in force has reached its review date (clinic's local date). The one rule for the
    chart, the plan page, the therapist's to-do list and the API."""
    today = clock.local_now().date()
    due = Q(status=TreatmentPlanStatus.SIGNED, review_date__lte=today)
    return qs.annotate(review_due=ExpressionWrapper(due, output_field=BooleanField()))


def _plans() -> QuerySet[TreatmentPlan]:
    return _with_review_due(TreatmentPlan.objects.select_related("patient", "author", "signed_by"))


def plans_visible_to(*, user) -> QuerySet[TreatmentPlan]:
    """Plan metadata (never text) a psychotherapist may see: their own plans, and signed or superseded plans of
    patients they treat or by therapists they supervise. A bodywork provider sees none."""
    qs = _plans()
    if not user.is_authenticated or not is_psychotherapist(user):
        return qs.none()
    treated = Patient.objects.filter(treating_patients_q(therapist=user)).values("pk")
    on_record = Q(patient__in=treated) | Q(author__therapist_profile__supervisor=user)
    return qs.filter(Q(author=user) | (~Q(status=TreatmentPlanStatus.DRAFT) & on_record))


def plan_in_force(*, user, patient) -> TreatmentPlan | None:
    """The patient's signed plan (there is at most one), if the user may see it; metadata only."""
    return plans_visible_to(user=user).filter(patient=patient, status=TreatmentPlanStatus.SIGNED).first()


def _log(user, action: str, plan: TreatmentPlan, *, allowed: bool = True) -> None:
    access_log_write(actor=user, action=action, subject=plan, patient_id=plan.patient_id, allowed=allowed)


def plan_get_for(*, user, plan_id, perm: str = "notes.view_plan", action: str = "plan_view") -> TreatmentPlan:
    """The plan if the user holds `perm` on it; a denied attempt is logged and answers like a missing plan."""
    plan = _plans().select_related("author__therapist_profile").filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("No such treatment plan.")
    if not user.has_perm(perm, plan):
        _log(user, action, plan, allowed=False)
        raise NotFound("No such treatment plan.")
    return plan


def plan_get_for_action(*, user, plan_id, perm: str, action: str) -> TreatmentPlan:
    """The plan for an action: NotFound (logged) if the user may not see it, PermissionDenied (logged) if they may see
    it but not do this."""
    plan = plan_get_for(user=user, plan_id=plan_id, action=action)
    if not user.has_perm(perm, plan):
        _log(user, action, plan, allowed=False)
        raise PermissionDenied("You may not do that with this plan.")
    return plan


def plan_open(*, user, plan_id, action: str = "plan_view") -> OpenedPlan:
    """Decrypt a plan for someone allowed to read it; one access-log row per read."""
    return plan_read(user=user, plan=plan_get_for(user=user, plan_id=plan_id, action=action), action=action)


def plan_read(*, user, plan: TreatmentPlan, action: str = "plan_view") -> OpenedPlan:
    """Decrypt an already permission-checked plan; writes the access-log row."""
    _log(user, action, plan)
    return plan_parts_decrypt(plan)


def plan_review_due(*, therapist) -> QuerySet[TreatmentPlan]:
    """The therapist's signed plans in force that have reached their review date, the longest overdue first."""
    return _plans().filter(author=therapist, review_due=True).order_by("review_date", "pk")


@dataclass(frozen=True)
class GoalRow:
    opened: OpenedGoal
    progress: GoalProgress


@dataclass(frozen=True)
class ProblemRow:
    opened: OpenedProblem
    goals: list[GoalRow]


def plan_progress(*, opened: OpenedPlan, responses: list | None = None) -> list[ProblemRow]:
    """Each goal of an opened plan with its progress: the one computation the chart, the plan page and the API
    show. Reads the patient's scores on the plan's instruments in one query, or takes them from `responses`, the
    patient's answers the page has read already (every instrument, oldest first: `patient_responses_shown`)."""
    plan = opened.plan
    measures = {goal.goal.measure for goal in opened.goals if goal.goal.measure}
    points: dict[str, list[ScorePoint]] = {code: [] for code in measures}
    if measures:
        if responses is None:
            rows = (
                outcomes_selectors.responses_of(patient=plan.patient)
                .filter(instrument__in=measures)
                .values_list("instrument", "score", "submitted_at")
            )
        else:
            rows = ((r.instrument, r.score, r.submitted_at) for r in responses if r.instrument in measures)
        for instrument, score, submitted_at in rows:
            points[instrument].append(ScorePoint(score=score, at=submitted_at))
    today = clock.local_now().date()
    return [
        ProblemRow(
            opened=problem,
            goals=[
                GoalRow(
                    opened=goal,
                    progress=goal_progress(
                        goal=goal.goal,
                        start_date=plan.start_date,
                        points=points.get(goal.goal.measure, []),
                        today=today,
                    ),
                )
                for goal in problem.goals
            ],
        )
        for problem in opened.problems
    ]


@dataclass(frozen=True)
class ChartPlans:
    active: TreatmentPlan | None
    progress: list[ProblemRow]
    own_draft: TreatmentPlan | None
    earlier: list[TreatmentPlan]
    can_add: bool


def plans_for_chart(*, user, patient) -> ChartPlans:
    """The treatment-plan part of a patient's chart: the plan in force with progress (its text read and logged),
    the user's own draft, and the earlier plans the user may see (metadata only)."""
    visible = list(plans_visible_to(user=user).filter(patient=patient).order_by("-signed_at", "-pk"))
    active = next((plan for plan in visible if plan.status == TreatmentPlanStatus.SIGNED), None)
    progress = []
    if active is not None:
        # The chart shows the patient's trends from the same answers.
        responses = outcomes_selectors.patient_responses_shown(patient=patient)
        progress = plan_progress(opened=plan_read(user=user, plan=active), responses=responses)
    return ChartPlans(
        active=active,
        progress=progress,
        own_draft=next((p for p in visible if p.status == TreatmentPlanStatus.DRAFT and p.author_id == user.pk), None),
        earlier=[plan for plan in visible if plan.status == TreatmentPlanStatus.SUPERSEDED],
        can_add=user.has_perm("notes.add_plan", patient),
    )
