"""The treatment-plan form: reads the posted fields into plan content, adds and removes rows, and shapes content and
errors into the rows the template renders.

Field names follow the content's shape: `p-0-text` (problem 1), `p-0-g-1-description` (goal 1.2) and its
`-measure`, `-direction`, `-target_score`, `-target_date`, `p-0-g-1-i-0` (its first intervention) and `i-0` (the
first intervention for the plan as a whole). Errors from plan_content come keyed by dotted path and are shown next
to the field of the same path.
"""

import re
from dataclasses import dataclass, field

from apps.outcomes.instruments import INSTRUMENTS

from .models import GoalDirection

GOAL_FIELDS = ("description", "measure", "target_score", "direction", "target_date")
# Indices beyond this are ignored: plan_content refuses that many rows anyway.
MAX_INDEX = 50
_PROBLEM_FIELD = re.compile(r"^p-(\d+)-(?:(text)|g-(\d+)-(?:(" + "|".join(GOAL_FIELDS) + r")|i-(\d+)))$")
_PLAN_INTERVENTION = re.compile(r"^i-(\d+)$")

MEASURE_OPTIONS = [("", "No score"), *((code, f"{i.name} (0–{i.max_score})") for code, i in INSTRUMENTS.items())]
DIRECTION_OPTIONS = [("", "—"), *GoalDirection.choices]


def blank_goal() -> dict:
    return dict.fromkeys(GOAL_FIELDS, "") | {"interventions": []}


def blank_problem() -> dict:
    return {"text": "", "goals": [blank_goal()]}


def form_content(data) -> dict:
    """The posted form as plan content (strings as typed, rows in index order, blank rows kept)."""
    problems: dict[int, dict] = {}
    plan_interventions: dict[int, str] = {}
    for name in data:
        value = data.get(name, "")
        if match := _PLAN_INTERVENTION.match(name):
            if int(match[1]) < MAX_INDEX:
                plan_interventions[int(match[1])] = value
            continue
        match = _PROBLEM_FIELD.match(name)
        if match is None or any(int(i) >= MAX_INDEX for i in (match[1], match[3], match[5]) if i is not None):
            continue
        problem = problems.setdefault(int(match[1]), {"text": "", "goals": {}})
        if match[2]:
            problem["text"] = value
            continue
        goal = problem["goals"].setdefault(int(match[3]), blank_goal() | {"interventions": {}})
        if match[4]:
            goal[match[4]] = value
        else:
            goal["interventions"][int(match[5])] = value
    return {
        "problems": [
            {
                "text": problem["text"],
                "goals": [
                    goal | {"interventions": [goal["interventions"][k] for k in sorted(goal["interventions"])]}
                    for _g, goal in sorted(problem["goals"].items())
                ],
            }
            for _p, problem in sorted(problems.items())
        ],
        "interventions": [plan_interventions[k] for k in sorted(plan_interventions)],
    }


def _filled(text) -> bool:
    return bool(str(text or "").strip())


def without_blank_rows(content: dict) -> dict:
    """What is saved: rows left empty are dropped (a goal counts as empty with no description, measure, target
    or intervention; a problem with no text and no goals left)."""
    problems = []
    for problem in content["problems"]:
        goals = []
        for goal in problem["goals"]:
            interventions = [text for text in goal["interventions"] if _filled(text)]
            if interventions or any(_filled(goal[name]) for name in GOAL_FIELDS if name != "direction"):
                goals.append(goal | {"interventions": interventions})
        if goals or _filled(problem["text"]):
            problems.append({"text": problem["text"], "goals": goals})
    return {"problems": problems, "interventions": [text for text in content["interventions"] if _filled(text)]}


def row_change(content: dict, *, add: str = "", remove: str = "") -> tuple[dict, str]:
    """Add or remove one row (the value of the button pressed); returns the content and the id of the element to
    focus next, so a keyboard user lands in the new row, or on the add button where a row was removed."""
    problems = content["problems"]
    if add == "problem":
        problems.append(blank_problem())
        return content, f"id_p-{len(problems) - 1}-text"
    if add == "intervention":
        content["interventions"].append("")
        return content, f"id_i-{len(content['interventions']) - 1}"
    if match := re.fullmatch(r"p-(\d+)-goal", add):
        p = int(match[1])
        if p < len(problems):
            problems[p]["goals"].append(blank_goal())
            return content, f"id_p-{p}-g-{len(problems[p]['goals']) - 1}-description"
    if match := re.fullmatch(r"p-(\d+)-g-(\d+)-intervention", add):
        p, g = int(match[1]), int(match[2])
        if p < len(problems) and g < len(problems[p]["goals"]):
            interventions = problems[p]["goals"][g]["interventions"]
            interventions.append("")
            return content, f"id_p-{p}-g-{g}-i-{len(interventions) - 1}"
    if match := re.fullmatch(r"i-(\d+)", remove):
        if int(match[1]) < len(content["interventions"]):
            del content["interventions"][int(match[1])]
        return content, "add-intervention"
    if match := re.fullmatch(r"p-(\d+)(?:-g-(\d+)(?:-i-(\d+))?)?", remove):
        p, g, i = (int(part) if part is not None else None for part in match.groups())
        if p >= len(problems):
            return content, ""
        if g is None:
            del problems[p]
            return content, "add-problem"
        goals = problems[p]["goals"]
        if g < len(goals) and i is None:
            del goals[g]
        elif g < len(goals) and i < len(goals[g]["interventions"]):
            del goals[g]["interventions"][i]
            return content, f"add-p-{p}-g-{g}-intervention"
        return content, f"add-p-{p}-goal"
    return content, ""


@dataclass
class Field:
    name: str
    label: str
    value: object
    errors: list[str]
    autofocus: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    remove: str = ""  # the value of the button that removes this row, for intervention rows
    remove_label: str = ""

    @property
    def id(self) -> str:
        return f"id_{self.name}"


class _Builder:
    def __init__(self, errors: dict, focus: str):
        self.errors = errors or {}
        self.focus = focus

    def field(self, name: str, key: str, label: str, value, options=None, *, removable: bool = False) -> Field:
        value = "" if value is None else value
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        return Field(
            name=name,
            label=label,
            value=str(value),
            errors=self.errors.get(key, []),
            autofocus=f"id_{name}" == self.focus,
            options=options or [],
            remove=name if removable else "",
            remove_label=f"Remove {label[0].lower()}{label[1:]}" if removable else "",
        )


def editor_rows(*, content: dict, start_date, review_date, errors: dict | None = None, focus: str = "") -> dict:
    """Everything the form template needs: the date fields, each problem with its goals and interventions, and
    the errors that belong to no single field."""
    build = _Builder(errors or {}, focus)
    problems = []
    for p, problem in enumerate(content["problems"]):
        goals = []
        for g, goal in enumerate(problem["goals"]):
            number = f"{p + 1}.{g + 1}"
            name, key = f"p-{p}-g-{g}", f"problems.{p}.goals.{g}"
            goals.append(
                {
                    "number": number,
                    "remove": name,
                    "add_intervention": f"{name}-intervention",
                    "description": build.field(
                        f"{name}-description", f"{key}.description", f"Goal {number}", goal["description"]
                    ),
                    "measure": build.field(
                        f"{name}-measure",
                        f"{key}.measure",
                        f"Measure for goal {number}",
                        goal["measure"],
                        MEASURE_OPTIONS,
                    ),
                    "direction": build.field(
                        f"{name}-direction",
                        f"{key}.direction",
                        f"Target for goal {number}",
                        goal["direction"],
                        DIRECTION_OPTIONS,
                    ),
                    "target_score": build.field(
                        f"{name}-target_score",
                        f"{key}.target_score",
                        f"Target score for goal {number}",
                        goal["target_score"],
                    ),
                    "target_date": build.field(
                        f"{name}-target_date",
                        f"{key}.target_date",
                        f"Target date for goal {number}",
                        goal["target_date"],
                    ),
                    "interventions": [
                        build.field(
                            f"{name}-i-{i}",
                            f"{key}.interventions.{i}",
                            f"Intervention {i + 1} for goal {number}",
                            text,
                            removable=True,
                        )
                        for i, text in enumerate(goal["interventions"])
                    ],
                    "errors": build.errors.get(f"{key}.interventions", []),
                }
            )
        problems.append(
            {
                "number": str(p + 1),
                "remove": f"p-{p}",
                "add_goal": f"p-{p}-goal",
                "text": build.field(f"p-{p}-text", f"problems.{p}.text", f"Problem {p + 1}", problem["text"]),
                "goals": goals,
                "errors": build.errors.get(f"problems.{p}.goals", []),
            }
        )
    return {
        "start_date": build.field("start_date", "start_date", "Plan starts", start_date),
        "review_date": build.field("review_date", "review_date", "Review by", review_date),
        "problems": problems,
        "problems_errors": build.errors.get("problems", []),
        "interventions": [
            build.field(f"i-{i}", f"interventions.{i}", f"Plan intervention {i + 1}", text, removable=True)
            for i, text in enumerate(content["interventions"])
        ],
        "interventions_errors": build.errors.get("interventions", []),
        "focus": focus,
    }


def error_lines(*, content: dict, errors: dict) -> list[str]:
    """Every error as "label: message", in the form's order, for a page that shows them without the form."""
    form = editor_rows(content=content, start_date="", review_date="", errors=errors)
    lines = [f"{f.label}: {m}" for f in (form["start_date"], form["review_date"]) for m in f.errors]
    lines += [f"Problems: {m}" for m in form["problems_errors"]]
    for problem in form["problems"]:
        lines += [f"{problem['text'].label}: {m}" for m in problem["text"].errors + problem["errors"]]
        for goal in problem["goals"]:
            fields = [goal[name] for name in GOAL_FIELDS] + goal["interventions"]
            lines += [f"{f.label}: {m}" for f in fields for m in f.errors]
            lines += [f"Goal {goal['number']}: {m}" for m in goal["errors"]]
    lines += [f"{f.label}: {m}" for f in form["interventions"] for m in f.errors]
    lines += [f"Plan interventions: {m}" for m in form["interventions_errors"]]
    return lines
