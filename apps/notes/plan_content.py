"""A treatment plan's content: its shape, its validation, and reading it back from the encrypted rows.

Content is the same plain structure everywhere (the API's body, the form, the services):

    {"problems": [{"text": str,
                   "goals": [{"description": str, "measure": "phq9" | "", "target_score": int | None,
                              "direction": "at_most" | "at_least" | "", "target_date": date | None,
                              "interventions": [str, ...]}]}],
     "interventions": [str, ...]}          # for the plan as a whole

Errors are keyed by the dotted path of the value (`problems.0.goals.1.target_score`), so the API and the form
show the same message next to the same field.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef

from apps.core.encryption import decrypt_text
from apps.core.errors import Unprocessable
from apps.core.json_rows import from_row, row_of
from apps.outcomes.instruments import INSTRUMENTS

from .models import Goal, GoalDirection, Intervention, Problem, TreatmentPlan

MAX_TEXT = 2000
MAX_PROBLEMS = 20
MAX_GOALS = 10
MAX_INTERVENTIONS = 20


class _Errors(dict):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)


def _text(value, key: str, errors: _Errors, *, required: bool, missing: str) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_TEXT:
        errors.add(key, f"Keep this under {MAX_TEXT} characters.")
    elif required and not text:
        errors.add(key, missing)
    return text


def _date(value, key: str, errors: _Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(key, "Enter a date.")
        return None


def _score(value, key: str, errors: _Errors) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        errors.add(key, "Enter a whole number.")
        return None


def _interventions(values, key: str, errors: _Errors, *, complete: bool) -> list[str]:
    values = list(values or [])
    if len(values) > MAX_INTERVENTIONS:
        errors.add(key, f"List at most {MAX_INTERVENTIONS} interventions here.")
    return [
        _text(value, f"{key}.{index}", errors, required=complete, missing="Describe the intervention.")
        for index, value in enumerate(values[:MAX_INTERVENTIONS])
    ]


def _goal(raw: dict, key: str, errors: _Errors, *, start_date: dt.date | None, complete: bool) -> dict:
    goal = {
        "description": _text(
            raw.get("description"), f"{key}.description", errors, required=complete, missing="Describe the goal."
        ),
        "measure": str(raw.get("measure") or ""),
        "target_score": _score(raw.get("target_score"), f"{key}.target_score", errors),
        "direction": str(raw.get("direction") or ""),
        "target_date": _date(raw.get("target_date"), f"{key}.target_date", errors),
        "interventions": _interventions(raw.get("interventions"), f"{key}.interventions", errors, complete=complete),
    }
    instrument = INSTRUMENTS.get(goal["measure"])
    if goal["measure"] and instrument is None:
        errors.add(f"{key}.measure", "Choose one of the measures.")
    if goal["direction"] and goal["direction"] not in GoalDirection.values:
        errors.add(f"{key}.direction", "Choose at most or at least.")
    target = goal["target_score"]
    if target is not None and not goal["measure"]:
        errors.add(f"{key}.measure", "Choose the measure this target is a score on.")
    elif target is not None and instrument is not None and not 0 <= target <= instrument.max_score:
        errors.add(f"{key}.target_score", f"{instrument.name} scores run from 0 to {instrument.max_score}.")
    if instrument is not None and (target is not None or complete) and not goal["direction"]:
        errors.add(f"{key}.direction", "Choose at most or at least.")
    if instrument is not None and complete and target is None:
        errors.add(f"{key}.target_score", "Set the target score.")
    if not goal["measure"]:
        goal["direction"] = ""  # a direction means nothing without a measure
    if goal["target_date"] and start_date and goal["target_date"] <= start_date:
        errors.add(f"{key}.target_date", "Choose a date after the plan starts.")
    return goal


def _problem(raw: dict, key: str, errors: _Errors, *, start_date: dt.date | None, complete: bool) -> dict:
    goals = list(raw.get("goals") or [])
    if len(goals) > MAX_GOALS:
        errors.add(f"{key}.goals", f"A problem holds at most {MAX_GOALS} goals.")
    elif complete and not goals:
        errors.add(f"{key}.goals", "Add at least one goal.")
    return {
        "text": _text(raw.get("text"), f"{key}.text", errors, required=complete, missing="Describe the problem."),
        "goals": [
            _goal(goal, f"{key}.goals.{index}", errors, start_date=start_date, complete=complete)
            for index, goal in enumerate(goals[:MAX_GOALS])
        ],
    }


def plan_clean(*, start_date, review_date, content: dict, complete: bool) -> tuple[dt.date, dt.date, dict]:
    """Check a plan's dates and content; `complete` adds what signing needs (every problem has a goal, every
    measured goal a target). Raises one Unprocessable listing every problem found."""
    errors = _Errors()
    start = _date(start_date, "start_date", errors)
    review = _date(review_date, "review_date", errors)
    if start is None and "start_date" not in errors:
        errors.add("start_date", "Enter the date the plan starts.")
    if review is None and "review_date" not in errors:
        errors.add("review_date", "Enter the date to review the plan.")
    if start and review and review <= start:
        errors.add("review_date", "Choose a review date after the plan starts.")
    problems = list(content.get("problems") or [])
    if len(problems) > MAX_PROBLEMS:
        errors.add("problems", f"A plan holds at most {MAX_PROBLEMS} problems.")
    elif complete and not problems:
        errors.add("problems", "Add at least one problem.")
    cleaned = {
        "problems": [
            _problem(problem, f"problems.{index}", errors, start_date=start, complete=complete)
            for index, problem in enumerate(problems[:MAX_PROBLEMS])
        ],
        "interventions": _interventions(content.get("interventions"), "interventions", errors, complete=complete),
    }
    if errors:
        message = "Complete the plan before signing it." if complete else "Some parts of the plan need attention."
        raise Unprocessable(message, fields=dict(errors))
    return start, review, cleaned


def plan_incomplete(opened: "OpenedPlan") -> dict:
    """What a draft still lacks before it can be signed, as field errors (empty when it is complete)."""
    plan = opened.plan
    try:
        plan_clean(start_date=plan.start_date, review_date=plan.review_date, content=opened.content(), complete=True)
    except Unprocessable as exc:
        return exc.fields
    return {}


@dataclass(frozen=True)
class OpenedGoal:
    goal: Goal
    description: str
    interventions: list[tuple[Intervention, str]] = field(default_factory=list)


@dataclass(frozen=True)
class OpenedProblem:
    problem: Problem
    text: str
    goals: list[OpenedGoal] = field(default_factory=list)


@dataclass(frozen=True)
class OpenedPlan:
    plan: TreatmentPlan
    problems: list[OpenedProblem]
    interventions: list[tuple[Intervention, str]]

    @property
    def goals(self) -> list[OpenedGoal]:
        return [goal for problem in self.problems for goal in problem.goals]

    def content(self) -> dict:
        return {
            "problems": [
                {
                    "text": problem.text,
                    "goals": [
                        {
                            "description": goal.description,
                            "measure": goal.goal.measure,
                            "target_score": goal.goal.target_score,
                            "direction": goal.goal.direction,
                            "target_date": goal.goal.target_date,
                            "interventions": [text for _row, text in goal.interventions],
                        }
                        for goal in problem.goals
                    ],
                }
                for problem in self.problems
            ],
            "interventions": [text for _row, text in self.interventions],
        }


def plan_parts_decrypt(plan: TreatmentPlan) -> OpenedPlan:
    """The plan's problems, goals and interventions with their text, in order (one query). Callers that show the
    text go through plan_selectors, which check the rule and write the access-log row."""
    parts = (
        TreatmentPlan.objects.filter(pk=plan.pk)
        .values(
            problem_rows=ArraySubquery(
                Problem.objects.filter(plan=OuterRef("pk")).order_by("position").values(row=row_of(Problem))
            ),
            goal_rows=ArraySubquery(
                Goal.objects.filter(problem__plan=OuterRef("pk"))
                .order_by("problem__position", "position")
                .values(row=row_of(Goal))
            ),
            intervention_rows=ArraySubquery(
                Intervention.objects.filter(plan=OuterRef("pk")).order_by("position").values(row=row_of(Intervention))
            ),
        )
        .get()
    )
    problems = [from_row(Problem, row) for row in parts["problem_rows"]]
    goals = [from_row(Goal, row) for row in parts["goal_rows"]]
    interventions = [from_row(Intervention, row) for row in parts["intervention_rows"]]
    by_goal: dict[int | None, list[tuple[Intervention, str]]] = {}
    for intervention in interventions:
        by_goal.setdefault(intervention.goal_id, []).append(
            (intervention, decrypt_text(intervention.content_encrypted))
        )
    goals_by_problem: dict[int, list[OpenedGoal]] = {}
    for goal in goals:
        opened = OpenedGoal(
            goal=goal, description=decrypt_text(goal.content_encrypted), interventions=by_goal.get(goal.pk, [])
        )
        goals_by_problem.setdefault(goal.problem_id, []).append(opened)
    return OpenedPlan(
        plan=plan,
        problems=[
            OpenedProblem(problem=p, text=decrypt_text(p.content_encrypted), goals=goals_by_problem.get(p.pk, []))
            for p in problems
        ],
        interventions=by_goal.get(None, []),
    )
