"""The standard outcome measures with their published items, scoring and severity bands.

PHQ-9: Kroenke, Spitzer & Williams (2001). Nine items scored 0-3, total 0-27; bands 0-4 minimal,
5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe. Any answer above zero on item 9
(thoughts of death or self-harm) needs the clinician's attention whatever the total.
GAD-7: Spitzer, Kroenke, Williams & Lowe (2006). Seven items scored 0-3, total 0-21; bands 0-4
minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
Pain NRS: one 0-10 rating; bands 0 none, 1-3 mild, 4-6 moderate, 7-10 severe.
"""

from dataclasses import dataclass

from apps.core.errors import Unprocessable

FREQUENCY = [(0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day")]
NRS = [(value, str(value)) for value in range(11)]


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    prompt: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    bands: tuple[tuple[int, int, str, str], ...]  # (low, high, key, label), inclusive
    flag_item: int | None = None  # 1-based item whose answer above zero raises a flag

    @property
    def max_score(self) -> int:
        return max(value for value, _ in self.options) * len(self.items)

    def band(self, score: int) -> tuple[str, str]:
        for low, high, key, label in self.bands:
            if low <= score <= high:
                return key, label
        raise ValueError(f"{score} is outside {self.code}'s range")

    def score(self, answers) -> "Score":
        """Score a full set of answers; raises Unprocessable naming each bad item."""
        allowed = {value for value, _ in self.options}
        if not isinstance(answers, list | tuple):
            raise Unprocessable("Answers must be a list.", fields={"answers": ["Answer every question."]})
        errors = {}
        for index in range(len(self.items)):
            value = answers[index] if index < len(answers) else None
            if isinstance(value, bool) or value not in allowed:
                errors[f"item_{index + 1}"] = ["Choose one of the answers."]
        if len(answers) > len(self.items):
            errors["answers"] = [f"{self.name} has {len(self.items)} questions."]
        if errors:
            raise Unprocessable("Please answer every question.", fields=errors)
        total = sum(answers)
        key, label = self.band(total)
        flagged = self.flag_item is not None and answers[self.flag_item - 1] > 0
        return Score(total=total, severity=key, severity_label=label, flagged=flagged)


@dataclass(frozen=True)
class Score:
    total: int
    severity: str
    severity_label: str
    flagged: bool


PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    prompt="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
        "or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    options=tuple(FREQUENCY),
    bands=(
        (0, 4, "minimal", "Minimal"),
        (5, 9, "mild", "Mild"),
        (10, 14, "moderate", "Moderate"),
        (15, 19, "moderately_severe", "Moderately severe"),
        (20, 27, "severe", "Severe"),
    ),
    flag_item=9,
)

GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    prompt="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    options=tuple(FREQUENCY),
    bands=(
        (0, 4, "minimal", "Minimal"),
        (5, 9, "mild", "Mild"),
        (10, 14, "moderate", "Moderate"),
        (15, 21, "severe", "Severe"),
    ),
)

PAIN_NRS = Instrument(
    code="pain_nrs",
    name="Pain rating",
    prompt="On a scale from 0 (no pain) to 10 (worst pain imaginable):",
    items=("Your average pain over the last 24 hours",),
    options=tuple(NRS),
    bands=(
        (0, 0, "none", "No pain"),
        (1, 3, "mild", "Mild"),
        (4, 6, "moderate", "Moderate"),
        (7, 10, "severe", "Severe"),
    ),
)

INSTRUMENTS = {instrument.code: instrument for instrument in (PAIN_NRS, PHQ9, GAD7)}
INSTRUMENT_CHOICES = [(instrument.code, instrument.name) for instrument in INSTRUMENTS.values()]
