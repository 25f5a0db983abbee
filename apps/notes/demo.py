"""Demo clinical records: signed (and co-signed) session notes for past demo sessions, a few of the last two days'
still in hand, questionnaire scores with an improving trend, journal entries for the portal patient, and treatment
plans. Idempotent: a session that already has a note, a score already recorded for that day, or a patient who already
has a plan is left alone, but for what has come due since an earlier run: a draft is signed and a signed note is
co-signed."""

import datetime as dt

from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.core import clock
from apps.notifications.outbox import messages_withdraw
from apps.outcomes.instruments import GAD7, PAIN_NRS, PCS, PHQ9, PHQ15
from apps.outcomes.models import JournalEntry, QuestionnaireResponse
from apps.outcomes.services import journal_entry_create, questionnaires_send_for_appointment
from apps.patients.models import Patient
from apps.scheduling.models import Appointment, AppointmentStatus

from .models import NoteStatus, NoteTemplate, TreatmentPlan
from .plan_services import plan_create, plan_sign
from .services import note_cosign, note_create, note_sign, note_templates_ensure

NOTE_PATIENTS = 12
NOTE_WRITTEN_AFTER = dt.timedelta(hours=2)  # therapists write up the day's sessions that evening
NOTE_COSIGNED_AFTER = dt.timedelta(hours=20)  # and supervisors review the evening's notes the next day
NOTES_IN_HAND_FOR = dt.timedelta(days=2)  # a few of the last two days' notes are still to write or sign
PORTAL_PATIENT_EMAIL = "patient01@clinic.test"
QUESTIONNAIRE_DUE = "questionnaire_due"  # the purpose of the email asking for a session's questionnaires

THEMES = [
    (["anger_rage"], "Anger at her manager surfaced when discussing the reorganisation."),
    (["grief"], "Grief about her father's illness; tearful, then noticed the back pain ease."),
    (["fear_anxiety", "shame"], "Fear of being found out as not good enough at work."),
    (["guilt", "anger_rage"], "Guilt about resenting caring for his mother; anger underneath."),
]
SHIFTS = [
    "",
    "Pain moved from the low back to the right shoulder mid-week.",
    "Headaches replaced by stomach upset after the family visit.",
    "",
]


def _progress_content(step: int, total: int) -> dict:
    # Pain falls over the course of treatment, with a bump in the middle.
    pain_now = max(1, 8 - (6 * step) // max(total - 1, 1) + (1 if step == total // 2 else 0))
    themes, notes = THEMES[step % len(THEMES)]
    content = {
        "presenting_symptoms": "Chronic low back pain, worse when sitting at work; tension in neck and shoulders.",
        "symptom_locations": ["back", "neck_shoulders"],
        "pain_now": pain_now,
        "pain_worst": min(10, pain_now + 2),
        "change_since_last": "better" if step else "same",
        "emotional_themes": themes,
        "emotional_themes_notes": notes,
        "personality_pressures": ["perfectionism", "goodism"],
        "current_stressors": "Deadlines at work; looking after an ageing parent.",
        "interventions": ["interpretation", "tms_education", "journaling_assignment"],
        "patient_response": "Recognised the link between the flare and unexpressed anger; curious rather than afraid.",
        "plan_homework": "Daily journaling on anger and pressure; resume walking 20 minutes a day.",
        "suicidal_ideation": "none",
    }
    if SHIFTS[step % len(SHIFTS)]:
        content["symptom_shifts"] = SHIFTS[step % len(SHIFTS)]
    return content


INTAKE_CONTENT = {
    "reason_for_referral": "Referred by primary care for back pain without structural findings.",
    "presenting_symptoms": "Low back pain for three years, neck tension, recurrent headaches.",
    "symptom_locations": ["back", "neck_shoulders", "head"],
    "symptom_history": "Began after a job change; flares around deadlines and family visits.",
    "pain_now": 8,
    "pain_worst": 9,
    "medical_evaluation": "MRI shows age-typical disc changes; physician cleared for activity.",
    "structural_cause_ruled_out": True,
    "psychosocial_history": "Eldest of three; caretaker role in the family from an early age.",
    "personality_pressures": ["perfectionism", "goodism", "self_criticism"],
    "mental_status": "Alert, oriented, anxious affect, good insight.",
    "suicidal_ideation": "none",
    "diagnosis": "F45.41 Pain disorder exclusively related to psychological factors",
    "recommended_care": "individual_therapy",
    "treatment_plan": "Weekly psychodynamic therapy; TMS education; daily journaling.",
}


def written_at(session) -> dt.datetime:
    """When the therapist wrote (and signed) a past session's note: a little after it ended, or now if that moment
    is still to come."""
    return min(session.end + NOTE_WRITTEN_AFTER, timezone.now())


def note_in_hand(session, now: dt.datetime) -> str:
    """What a past session's note is at `now`: "signed", except a few of the last two days' sessions (never overdue),
    whose notes are still a "draft" or not yet written ("unwritten"), as in any clinic a day or two behind on a few.
    Chosen by the session, so a second run of the seed at the same instant leaves the same ones."""
    if session.end <= now - NOTES_IN_HAND_FOR:
        return "signed"
    return {0: "unwritten", 1: "draft"}.get(session.pk % 5, "signed")


def draft_signed_if_due(note, session, in_hand: str, *, actor):
    """A draft left in hand by an earlier run, whose session is no longer among the last few (`note_in_hand` says
    "signed" now), signed by its author as it would have been that evening (`written_at`): the signed note, or None
    when it stays as it is."""
    if note.status != NoteStatus.DRAFT or in_hand != "signed":
        return None
    with clock.recorded_at(written_at(session)):
        return note_sign(actor=actor, note=note, attest=True)


def _cosign_if_due(note, *, now: dt.datetime) -> bool:
    """The supervisor named at signing co-signs a pre-licensed therapist's note the day after it was signed; one
    signed since is still theirs to review (never overdue). Returns whether it was co-signed."""
    at = note.signed_at + NOTE_COSIGNED_AFTER
    if at > now:
        return False
    with clock.recorded_at(at):
        note_cosign(actor=note.cosigner, note=note, attest=True)
    return True


def _seed_notes(out) -> None:
    """A note for every past session the patients' own therapists held: signed (and co-signed for a pre-licensed
    author) soon after it, but for a few of the last two days (`note_in_hand`). A session that already has a note
    is left alone, unless it is signed and waits for a co-signature that is due by now."""
    progress = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    intake = NoteTemplate.objects.get(name="Intake assessment")
    now = clock.now()
    # One read of the therapists (with their supervisors) and of the sessions: the services are handed the same user
    # row for every note, so its permissions are read once, not per note.
    therapists = {
        user.pk: user
        for user in User.objects.filter(pk__in=Patient.objects.values("primary_therapist")).select_related(
            "therapist_profile__supervisor"
        )
    }
    sessions = (
        Appointment.objects.filter(
            patient__primary_therapist=F("therapist"),
            status__in=[AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN],
            end__lt=now,
        )
        .select_related("patient", "session_note")
        .order_by("patient__email", "start")
    )
    by_patient: dict[int, list[Appointment]] = {}
    for session in sessions:
        session.therapist = therapists[session.therapist_id]
        by_patient.setdefault(session.patient_id, []).append(session)
    signed = cosigned = drafts = 0
    for patient_sessions in by_patient.values():
        for step, session in enumerate(patient_sessions):
            note = getattr(session, "session_note", None)
            in_hand = note_in_hand(session, now)
            if note is not None:
                if (now_signed := draft_signed_if_due(note, session, in_hand, actor=session.therapist)) is not None:
                    note, signed = now_signed, signed + 1
                if note.awaiting_cosign:
                    cosigned += _cosign_if_due(note, now=now)
                continue
            if in_hand == "unwritten":
                continue  # shows in the therapist's unsigned queue
            template, content = (
                (intake, INTAKE_CONTENT) if step == 0 else (progress, _progress_content(step, len(patient_sessions)))
            )
            with clock.recorded_at(written_at(session)):
                note = note_create(actor=session.therapist, appointment=session, template=template, content=content)
                if in_hand == "draft":
                    drafts += 1
                    continue
                note = note_sign(actor=session.therapist, note=note, attest=True)
            signed += 1
            if note.cosign_required:
                cosigned += _cosign_if_due(note, now=now)
    out.write(f"Session notes: {signed} signed ({cosigned} co-signed), {drafts} drafts")


def _score_history(patient, sessions) -> int:
    created = 0
    total = len(sessions)
    for step, session in enumerate(sessions):
        improvement = step / max(total - 1, 1)
        answers = {
            PHQ9: [max(0, round(v * (1 - 0.7 * improvement))) for v in [2, 2, 2, 3, 1, 2, 2, 1, 0]],
            GAD7: [max(0, round(v * (1 - 0.6 * improvement))) for v in [2, 3, 2, 2, 1, 2, 2]],
            PAIN_NRS: [max(1, round(8 - 5 * improvement))],
            PHQ15: [max(0, round(v * (1 - 0.6 * improvement))) for v in [1, 2, 2, 0, 2, 1, 1, 0, 1, 1, 0, 2, 1, 2, 2]],
            PCS: [max(0, round(v * (1 - 0.7 * improvement))) for v in [3, 2, 3, 3, 2, 3, 1, 4, 3, 3, 4, 2, 3]],
        }
        submitted_at = session.start - dt.timedelta(hours=14)
        for instrument, values in answers.items():
            if instrument in (PHQ9, GAD7) and step % 2:
                continue  # PHQ-9 and GAD-7 every other session
            if instrument in (PHQ15, PCS) and step % 4:
                continue  # PHQ-15 and the catastrophizing scale every fourth
            if QuestionnaireResponse.objects.filter(
                patient=patient, instrument=instrument.code, submitted_at=submitted_at
            ).exists():
                continue
            score = instrument.score(values)
            QuestionnaireResponse.objects.create(
                patient=patient,
                instrument=instrument.code,
                answers=values,
                score=score.total,
                severity=score.severity,
                flagged=score.flagged,
                submitted_at=submitted_at,
            )
            created += 1
    return created


def _seed_outcomes(out) -> None:
    patients = Patient.objects.filter(primary_therapist__isnull=False).order_by("email")[:NOTE_PATIENTS]
    created = 0
    for patient in patients:
        sessions = list(
            Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED).order_by("start")
        )
        created += _score_history(patient, sessions)
    portal_patient = Patient.objects.filter(email=PORTAL_PATIENT_EMAIL, user__isnull=False).first()
    pending = 0
    if portal_patient is not None:
        if not JournalEntry.objects.filter(patient=portal_patient).exists():
            journal_entry_create(
                actor=portal_patient.user,
                patient=portal_patient,
                text="Back was bad again after Sunday dinner. When I wrote about my brother's comments "
                "I noticed how angry I was, and the ache eased a little by bedtime.",
                share=True,
            )
            journal_entry_create(
                actor=portal_patient.user,
                patient=portal_patient,
                text="Things I never say out loud: I am tired of being the reliable one.",
            )
        # A questionnaire email an earlier run queued for a session that has begun since can no longer be answered
        # in time: it is withdrawn, never sent after the session.
        messages_withdraw(
            subjects=list(Appointment.objects.filter(patient=portal_patient, start__lte=clock.now())),
            purposes=(QUESTIONNAIRE_DUE,),
        )
        upcoming = (
            Appointment.objects.filter(
                patient=portal_patient, status=AppointmentStatus.BOOKED, start__gt=clock.now() + dt.timedelta(hours=2)
            )
            .order_by("start")
            .first()
        )
        if upcoming is not None:
            pending = len(questionnaires_send_for_appointment(appointment=upcoming))
    out.write(f"Questionnaire scores: {created} recorded; {pending} waiting in the portal for {PORTAL_PATIENT_EMAIL}")


PLAN_PATIENTS = 6
PLAN_PROBLEMS = [
    "Chronic low back pain for three years with no structural cause; flares around deadlines and family visits.",
    "Tension headaches and neck pain; anger at work is swallowed rather than felt.",
    "Stomach pain and low mood since a bereavement; self-critical and perfectionistic.",
]


def _plan_content(step: int, start: dt.date) -> dict:
    return {
        "problems": [
            {
                "text": PLAN_PROBLEMS[step % len(PLAN_PROBLEMS)],
                "goals": [
                    {
                        "description": "Average pain low enough to walk, sit and work without planning around it.",
                        "measure": PAIN_NRS.code,
                        "target_score": 3,
                        "direction": "at_most",
                        "target_date": start + dt.timedelta(days=120),
                        "interventions": ["Pain reprocessing therapy, weekly", "Resume walking 20 minutes a day"],
                    },
                    {
                        "description": "Mood lifts: interest in friends and hobbies returns.",
                        "measure": PHQ9.code,
                        "target_score": 4 if step % 2 else 9,
                        "direction": "at_most",
                        "target_date": None,
                        "interventions": ["Psychodynamic psychotherapy, weekly"],
                    },
                ],
            },
            {
                "text": "Personality pressures (perfectionism, the need to please) keep the symptoms going.",
                "goals": [
                    {
                        "description": "Notices and names anger and pressure as they arise.",
                        "measure": "",
                        "target_score": None,
                        "direction": "",
                        "target_date": None,
                        "interventions": [
                            "Daily expressive journaling",
                            "TMS education: Sarno's books, lecture series",
                        ],
                    }
                ],
            },
        ],
        "interventions": ["Invite to the next TMS recovery group when it opens"],
    }


def _seed_plans(out) -> None:
    """A signed plan for the first patients with sessions, started at their first session and due for review 90 days
    later, except each therapist's first, due after 30 days (so every therapist has a plan due for review)."""
    patients = Patient.objects.filter(primary_therapist__isnull=False).order_by("email")[:PLAN_PATIENTS]
    signed = 0
    therapists_with_a_plan = set()
    for step, patient in enumerate(patients):
        first = (
            Appointment.objects.filter(patient=patient, therapist=patient.primary_therapist, end__lt=clock.now())
            .order_by("start")
            .first()
        )
        if first is None or TreatmentPlan.objects.filter(patient=patient).exists():
            continue
        start = first.start.astimezone(clock.clinic_tz()).date()
        plan = plan_create(
            actor=patient.primary_therapist,
            patient=patient,
            start_date=start,
            review_date=start + dt.timedelta(days=90 if patient.primary_therapist_id in therapists_with_a_plan else 30),
            content=_plan_content(step, start),
        )
        plan_sign(actor=patient.primary_therapist, plan=plan, attest=True)
        therapists_with_a_plan.add(patient.primary_therapist_id)
        signed += 1
    out.write(f"Treatment plans: {signed} signed")


def seed(out) -> None:
    note_templates_ensure()
    if not Appointment.objects.filter(patient__isnull=False, end__lt=clock.now()).exists():
        out.write("Session notes: no past sessions to write notes for.")
        return
    _seed_notes(out)
    _seed_outcomes(out)
    _seed_plans(out)
