"""Demo care levels: most demo patients stand on a rung, some with a move or two behind them, so the chart card,
the portal's "Where you are" and the ladder report have something to show. Idempotent: a patient who already has a
level is left alone. Moves are recorded by the patient's therapist, as they would be in the clinic.

The rung is a clinician's record, not derived from bookings, so the demo chooses it to tell the same story as the
rest of the demo clinic: a patient the demo gives weekly sessions with their therapist stands on individual therapy
(some came up through lower rungs), one seated in a lecture series or group stands there, and only a patient with
neither stands on education or has finished (maintenance). Runs after the sessions and programs are seeded.
"""

from apps.patients.demo import PATIENT_COUNT
from apps.patients.models import Patient
from apps.programs.models import SEATED_STATUSES, ProgramKind
from apps.programs.selectors import patient_enrollments
from apps.scheduling.selectors import patient_upcoming

from .models import CareLevel
from .selectors import care_level_of
from .services import care_level_set

# Paths of patients in weekly individual sessions, in turn (the first is patient01's, the portal patient's).
IN_SESSIONS = [
    [
        (CareLevel.EDUCATION, "Starting with the reading list and the introductory lecture."),
        (CareLevel.LECTURE_SERIES, "Finished the reading; ready for the lecture series."),
        (CareLevel.INDIVIDUAL, "Pain still flaring after the lectures; weekly individual work agreed."),
    ],
    [(CareLevel.INDIVIDUAL, "Weekly sessions at the sliding-scale fee.")],
    [
        (CareLevel.GROUP, "Joining the next recovery group."),
        (CareLevel.INDIVIDUAL, "Symptoms shifting; weekly individual work agreed."),
    ],
    [
        (CareLevel.EDUCATION, "Starting with the reading list and journaling."),
        (CareLevel.INDIVIDUAL, "Referred with a clear TMS picture; ready for weekly individual work."),
    ],
]
IN_PROGRAM = {
    ProgramKind.LECTURE: [(CareLevel.LECTURE_SERIES, "Wants the lecture series before committing to a group.")],
    ProgramKind.GROUP: [(CareLevel.GROUP, "Referred with a clear TMS picture; a group suits their schedule.")],
}
# Paths of patients with neither weekly sessions nor a seat in a program, in turn.
ON_THEIR_OWN = [
    [(CareLevel.EDUCATION, "Starting with the reading list and journaling.")],
    [
        (CareLevel.GROUP, "Joined a group program."),
        (CareLevel.MAINTENANCE, "Stopped coming after the group's third meeting; offered check-ins."),
    ],
    [(CareLevel.INDIVIDUAL, "Weekly sessions."), (CareLevel.MAINTENANCE, "Pain largely resolved; monthly check-ins.")],
]


def _path(patient: Patient, turns: dict[str, int]) -> list[tuple[str, str]]:
    """The path that ends on the rung of the care the demo gave the patient; each kind of care takes its paths in
    turn (`turns` counts them)."""
    if any(session.therapist_id == patient.primary_therapist_id for session in patient_upcoming(patient=patient)):
        paths, kind = IN_SESSIONS, "sessions"
    else:
        seated = {e.program.kind for e in patient_enrollments(patient=patient) if e.status in SEATED_STATUSES}
        kind = next((k for k in (ProgramKind.GROUP, ProgramKind.LECTURE) if k in seated), "own")
        paths = [IN_PROGRAM[kind]] if kind in IN_PROGRAM else ON_THEIR_OWN
    turn = turns.get(kind, 0)
    turns[kind] = turn + 1
    return paths[turn % len(paths)]


def seed(out) -> None:
    placed = 0
    turns: dict[str, int] = {}
    for index in range(1, PATIENT_COUNT + 1):
        if index % 7 == 0:
            continue
        patient = Patient.objects.filter(email=f"patient{index:02d}@clinic.test").select_related("primary_therapist")
        patient = patient.first()
        if patient is None or patient.primary_therapist is None:
            continue
        path = _path(patient, turns)
        if care_level_of(patient=patient) is not None:
            continue
        for level, reason in path:
            care_level_set(patient=patient, level=level, reason=reason, actor=patient.primary_therapist)
        placed += 1
    out.write(f"Care ladder: {placed} patients placed")
