"""Demo massage and bodywork: the partner massage therapist's 10-week relaxation massage program for one patient,
weekly sessions of which the past ones are completed, and a bodywork note for each massage she has held (the
package's too), signed but for a few of the last two days.

Runs after the psychotherapy sessions and notes and the massage package. Idempotent: a patient who already has a
series with the massage therapist is left alone, and so is a massage that has a signed note; a draft an earlier run
left in hand is signed once its massage is no longer among the last two days'.
"""

import datetime as dt

from django.db.models import Q

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import therapists_of
from apps.core import clock
from apps.patients.models import Patient
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus, Room, ServiceType

from .demo import draft_signed_if_due, note_in_hand, written_at
from .models import NoteStatus, NoteTemplate
from .services import note_create, note_sign, note_templates_ensure

PROGRAM_PATIENT_EMAIL = "patient04@clinic.test"
PROGRAM_WEEKS = 10
WEEKS_BACK = 5
AREAS = [
    ["neck_shoulders", "upper_back"],
    ["neck_shoulders", "lower_back"],
    ["upper_back", "lower_back", "hips_glutes"],
    ["head_face_jaw", "neck_shoulders"],
]
RESPONSES = [
    "Arrived tense and guarded; breathing slowed by the second half. Reported feeling lighter afterwards.",
    "Shoulders released more readily than last week. Mild tenderness at the upper trapezius, no pain.",
    "Fell asleep briefly; said it was the first deep rest in weeks.",
    "Jaw clenching eased with gentle work; reported less morning tension since the last session.",
]


def _content(step: int) -> dict:
    return {
        "areas_treated": AREAS[step % len(AREAS)],
        "pressure": "light" if step == 0 else "medium",
        "techniques": ["swedish"] if step % 2 == 0 else ["swedish", "stretching"],
        "client_response": RESPONSES[step % len(RESPONSES)],
        "contraindications_checked": True,
        "contraindications_notes": "No fever, skin conditions, recent injuries or medication changes.",
        "plan": "Continue weekly relaxation massage; medium pressure, more time on neck and shoulders.",
    }


def seed(out) -> None:
    note_templates_ensure()
    therapist = therapists_of(discipline=Discipline.BODYWORK).first()
    patient = Patient.objects.filter(email=PROGRAM_PATIENT_EMAIL).first()
    if therapist is None or patient is None:
        out.write("Massage program: no massage therapist or program patient to seed it for.")
        return
    if not AppointmentSeries.objects.filter(patient=patient, therapist=therapist).exists():
        _book_program(out, therapist=therapist, patient=patient)
    _write_notes(therapist)


def _book_program(out, *, therapist, patient) -> None:
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    today = clock.local_now().date()
    # Wednesdays at 5 pm, five weeks back and five ahead; a date the patient is busy is skipped.
    first = today - dt.timedelta(days=today.weekday(), weeks=WEEKS_BACK) + dt.timedelta(days=2)
    result = scheduling.series_book(
        actor=front_desk,
        therapist=therapist,
        patient=patient,
        service_type=ServiceType.objects.get(code="RLX60"),
        first_date=first,
        local_start_time=dt.time(17, 0),
        occurrence_count=PROGRAM_WEEKS,
        room=Room.objects.filter(name="Lotus (massage)").first(),
        skip_conflicts=True,
        allow_past=True,  # the five weeks already held
    )
    past = [a for a in result.booked if a.end < clock.now()]
    for appointment in past:
        with clock.recorded_at(appointment.end):  # completed as it ended: charged on the session's day
            scheduling.appointment_complete(appointment=appointment, actor=therapist)
    out.write(
        f"Massage program: {PROGRAM_WEEKS}-week relaxation massage for {patient.email} with {therapist.email}: "
        f"{len(result.booked)} sessions booked, {len(past)} held"
    )


def _write_notes(therapist) -> None:
    """A bodywork note for each massage the therapist has held (the program's and the package's), signed soon after
    it, but for a few of the last two days still in hand (`note_in_hand`). A massage with a signed note is left
    alone."""
    template = NoteTemplate.objects.get(name="Bodywork session note")
    now = clock.now()
    held = (
        Appointment.objects.filter(therapist=therapist, status=AppointmentStatus.COMPLETED, end__lt=now)
        .filter(Q(session_note__isnull=True) | Q(session_note__status=NoteStatus.DRAFT))
        .select_related("session_note")
        .order_by("patient_id", "start")
    )
    steps: dict[int, int] = {}
    for appointment in held:
        step = steps[appointment.patient_id] = steps.get(appointment.patient_id, -1) + 1
        in_hand = note_in_hand(appointment, now)
        if (draft := getattr(appointment, "session_note", None)) is not None:
            draft_signed_if_due(draft, appointment, in_hand, actor=therapist)
            continue
        if in_hand == "unwritten":
            continue
        with clock.recorded_at(written_at(appointment)):
            note = note_create(actor=therapist, appointment=appointment, template=template, content=_content(step))
            if in_hand == "signed":
                note_sign(actor=therapist, note=note, attest=True)
