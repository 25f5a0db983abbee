"""Demo care levels: most demo patients stand on a rung, some with a move or two behind them, so the chart card,
the portal's "Where you are" and the ladder report have something to show. Idempotent: a patient who already has a
level is left alone. Moves are recorded by the patient's therapist, as they would be in the clinic."""

from apps.patients.demo import PATIENT_COUNT
from apps.patients.models import Patient

from .models import CareLevel
from .selectors import care_level_of
from .services import care_level_set

# Each demo patient's path, by their number (patient01 is the portal patient); patients past the list cycle through
# it, and every seventh is left not placed.
PATHS = [
    [
        (CareLevel.EDUCATION, "Starting with the reading list and the introductory lecture."),
        (CareLevel.LECTURE_SERIES, "Finished the reading; ready for the lecture series."),
    ],
    [(CareLevel.EDUCATION, "Starting with the reading list and journaling.")],
    [(CareLevel.GROUP, "Referred with a clear TMS picture; a group suits their schedule.")],
    [
        (CareLevel.GROUP, "Joining the next recovery group."),
        (CareLevel.INDIVIDUAL, "Symptoms shifting; weekly individual work agreed."),
    ],
    [(CareLevel.LECTURE_SERIES, "Wants the lecture series before committing to a group.")],
    [(CareLevel.INDIVIDUAL, "Weekly sessions at the sliding-scale fee.")],
    [
        (CareLevel.GROUP, "Joined a group program."),
        (CareLevel.MAINTENANCE, "Stopped coming after the group's third meeting; offered check-ins."),
    ],
    [(CareLevel.INDIVIDUAL, "Weekly sessions."), (CareLevel.MAINTENANCE, "Pain largely resolved; monthly check-ins.")],
]


def seed(out) -> None:
    placed = 0
    for index in range(1, PATIENT_COUNT + 1):
        if index % 7 == 0:
            continue
        patient = Patient.objects.filter(email=f"patient{index:02d}@clinic.test").select_related("primary_therapist")
        patient = patient.first()
        if patient is None or patient.primary_therapist is None or care_level_of(patient=patient) is not None:
            continue
        for level, reason in PATHS[(index - 1) % len(PATHS)]:
            care_level_set(patient=patient, level=level, reason=reason, actor=patient.primary_therapist)
        placed += 1
    out.write(f"Care ladder: {placed} patients placed")
