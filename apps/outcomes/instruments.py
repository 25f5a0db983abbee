"""The standard outcome measures with their published items, scoring and severity bands.

PHQ-9: Kroenke, Spitzer & Williams (2001). Nine items scored 0-3, total 0-27; bands 0-4 minimal,
5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe. Any answer above zero on item 9
(thoughts of death or self-harm) needs the clinician's attention whatever the total.
GAD-7: Spitzer, Kroenke, Williams & Lowe (2006). Seven items scored 0-3, total 0-21; bands 0-4
minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
Pain NRS: one 0-10 rating; bands 0 none, 1-3 mild, 4-6 moderate, 7-10 severe.
PHQ-15: Kroenke, Spitzer & Williams (2002). Fifteen somatic symptoms over the last 4 weeks scored 0-2, total 0-30;
bands 0-4 minimal, 5-9 low, 10-14 medium, 15-30 high somatic symptom severity. Item 4 (menstrual problems) is asked
of women only: when it does not apply it is left out and the total is the sum of the other fourteen items (0-28),
read against the same bands; nothing is prorated.
Pain Catastrophizing Scale: Sullivan, Bishop & Pivik (1995). Thirteen items scored 0-4, total 0-52; subscales
rumination (items 8-11), magnification (6, 7, 13) and helplessness (1-5, 12). A total of 30 or more is a clinically
relevant level of catastrophizing.
"""

from dataclasses import dataclass, field

from apps.core.errors import Unprocessable

FREQUENCY = [(0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day")]
NRS = [(value, str(value)) for value in range(11)]
BOTHER = [(0, "Not bothered at all"), (1, "Bothered a little"), (2, "Bothered a lot")]
DEGREE = [
    (0, "Not at all"),
    (1, "To a slight degree"),
    (2, "To a moderate degree"),
    (3, "To a great degree"),
    (4, "All the time"),
]


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    prompt: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    bands: tuple[tuple[int, int, str, str], ...]  # (low, high, key, label), inclusive
    flag_item: int | None = None  # 1-based item whose answer above zero raises a flag
    # 1-based items a respondent may leave out when they do not apply (stored as null, counted as nothing).
    optional_items: frozenset[int] = frozenset()
    subscales: tuple[tuple[str, str, tuple[int, ...]], ...] = ()  # (key, label, 1-based items)

    @property
    def max_score(self) -> int:
        return max(value for value, _ in self.options) * len(self.items)

    def band(self, score: int) -> tuple[str, str]:
        for low, high, key, label in self.bands:
            if low <= score <= high:
                return key, label
        raise ValueError(f"{score} is outside {self.code}'s range")

    def band_label(self, key: str) -> str:
        """The published name of a band, e.g. "Moderately severe" for `moderately_severe`."""
        return next((label for _low, _high, band, label in self.bands if band == key), key)

    def subscale_scores(self, answers) -> dict[str, int]:
        return {key: sum(answers[item - 1] or 0 for item in items) for key, _label, items in self.subscales}

    def score(self, answers) -> "Score":
        """Score a full set of answers; raises Unprocessable naming each bad item."""
        allowed = {value for value, _ in self.options}
        if not isinstance(answers, list | tuple):
            raise Unprocessable("Answers must be a list.", fields={"answers": ["Answer every question."]})
        errors = {}
        for index in range(len(self.items)):
            value = answers[index] if index < len(answers) else None
            if value is None and index + 1 in self.optional_items and index < len(answers):
                continue
            if isinstance(value, bool) or value not in allowed:
                errors[f"item_{index + 1}"] = ["Choose one of the answers."]
        if len(answers) > len(self.items):
            errors["answers"] = [f"{self.name} has {len(self.items)} questions."]
        if errors:
            raise Unprocessable("Please answer every question.", fields=errors)
        total = sum(value for value in answers if value is not None)
        key, label = self.band(total)
        flagged = self.flag_item is not None and answers[self.flag_item - 1] > 0
        return Score(
            total=total, severity=key, severity_label=label, flagged=flagged, subscales=self.subscale_scores(answers)
        )


@dataclass(frozen=True)
class Score:
    total: int
    severity: str
    severity_label: str
    flagged: bool
    subscales: dict[str, int] = field(default_factory=dict)


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

PHQ15 = Instrument(
    code="phq15",
    name="PHQ-15",
    prompt="During the past 4 weeks, how much have you been bothered by any of the following problems?",
    items=(
        "Stomach pain",
        "Back pain",
        "Pain in your arms, legs, or joints (knees, hips, etc.)",
        "Menstrual cramps or other problems with your periods (women only)",
        "Headaches",
        "Chest pain",
        "Dizziness",
        "Fainting spells",
        "Feeling your heart pound or race",
        "Shortness of breath",
        "Pain or problems during sexual intercourse",
        "Constipation, loose bowels, or diarrhea",
        "Nausea, gas, or indigestion",
        "Feeling tired or having low energy",
        "Trouble sleeping",
    ),
    options=tuple(BOTHER),
    bands=(
        (0, 4, "minimal", "Minimal"),
        (5, 9, "low", "Low"),
        (10, 14, "medium", "Medium"),
        (15, 30, "high", "High"),
    ),
    optional_items=frozenset({4}),
)

PCS = Instrument(
    code="pcs",
    name="Pain Catastrophizing Scale",
    prompt="Listed below are thirteen statements describing different thoughts and feelings that may be associated "
    "with pain. Please indicate the degree to which you have these thoughts and feelings when you are experiencing "
    "pain.",
    items=(
        "I worry all the time about whether the pain will end.",
        "I feel I can't go on.",
        "It's terrible and I think it's never going to get any better.",
        "It's awful and I feel that it overwhelms me.",
        "I feel I can't stand it anymore.",
        "I become afraid that the pain will get worse.",
        "I keep thinking of other painful events.",
        "I anxiously want the pain to go away.",
        "I can't seem to keep it out of my mind.",
        "I keep thinking about how much it hurts.",
        "I keep thinking about how badly I want the pain to stop.",
        "There's nothing I can do to reduce the intensity of the pain.",
        "I wonder whether something serious may happen.",
    ),
    options=tuple(DEGREE),
    bands=(
        (0, 29, "below_clinical", "Below the clinical threshold"),
        (30, 52, "clinically_relevant", "Clinically relevant"),
    ),
    subscales=(
        ("rumination", "Rumination", (8, 9, 10, 11)),
        ("magnification", "Magnification", (6, 7, 13)),
        ("helplessness", "Helplessness", (1, 2, 3, 4, 5, 12)),
    ),
)

INSTRUMENTS = {instrument.code: instrument for instrument in (PAIN_NRS, PHQ9, GAD7, PHQ15, PCS)}
INSTRUMENT_CHOICES = [(instrument.code, instrument.name) for instrument in INSTRUMENTS.values()]
