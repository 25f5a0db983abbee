"""The large-clinic seeder, run at a tiny scale: a realistic, consistent clinic that keeps every invariant."""

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum

from apps.billing.models import Adjustment, Charge, Payment, SlidingScaleAssessment
from apps.core import clock
from apps.core.encryption import decrypt_json
from apps.notes.models import NoteStatus, SessionNote
from apps.patients.models import Patient
from apps.programs.models import Enrollment, EnrollmentStatus, GroupProgram
from apps.scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus
from bench import seed_large
from tests.factories import AppointmentFactory

# The large-clinic loader is an owner-side tool, like migrate (docs/database-roles.md).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]

TINY = {"scale": 0.01, "weeks": 12}  # 2 therapists, 100 patients, 12 weeks of history and 12 booked ahead


@pytest.fixture
def tiny_clinic():
    out = io.StringIO()
    call_command(seed_large.Command(), **TINY, stdout=out)
    return out.getvalue()


def test_the_tiny_clinic_has_the_planned_people_and_history(tiny_clinic):
    assert Patient.objects.count() == 100
    assert Patient.objects.values("primary_therapist").distinct().count() == 2
    # Two therapists with 30 weekly lanes over 24 weeks; lanes start up to three weeks late and rest between episodes.
    individual = Appointment.objects.filter(patient__isnull=False)
    assert 2 * 30 * 18 <= individual.count() <= 2 * 30 * 24
    assert individual.filter(start__gt=clock.now(), status=AppointmentStatus.BOOKED).exists()
    assert GroupProgram.objects.count() == 2
    assert "Large clinic ready" in tiny_clinic


def test_no_two_active_sessions_overlap_for_a_therapist_room_or_patient(tiny_clinic):
    with connection.cursor() as cursor:
        for column in ("therapist_id", "room_id", "patient_id"):
            cursor.execute(
                f"""SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
                     ON a.{column} = b.{column} AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
                    WHERE a.status = ANY(%s) AND b.status = ANY(%s)""",
                [list(BLOCKING_STATUSES), list(BLOCKING_STATUSES)],
            )
            assert cursor.fetchone() == (0,), column


def test_every_completed_session_has_one_note_signed_except_recent_drafts(tiny_clinic):
    completed = Appointment.objects.filter(patient__isnull=False, status=AppointmentStatus.COMPLETED)
    assert SessionNote.objects.count() == completed.count()
    assert not SessionNote.objects.filter(
        status=NoteStatus.DRAFT, appointment__start__lt=clock.now() - dt.timedelta(days=14)
    ).exists()
    note = SessionNote.objects.filter(status=NoteStatus.SIGNED).select_related("appointment").first()
    content = decrypt_json(note.content_encrypted)
    assert content["pain_now"] == note.pain_now
    assert note.signed_at > note.appointment.end


def test_signed_notes_stay_locked_by_the_database(tiny_clinic):
    note = SessionNote.objects.filter(status=NoteStatus.SIGNED).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=note.pk).update(pain_now=0 if note.pain_now else 1)


def test_ledger_rows_are_posted_final_and_balances_add_up(tiny_clinic):
    charged = Charge.objects.aggregate(total=Sum("amount"))["total"]
    paid = Payment.objects.aggregate(total=Sum("amount"))["total"]
    adjusted = Adjustment.objects.aggregate(total=Sum("amount"))["total"] or 0
    assert 0 < paid + adjusted < charged
    billable = Appointment.objects.filter(
        patient__isnull=False,
        status__in=[AppointmentStatus.COMPLETED, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW],
    )
    assert Charge.objects.filter(appointment__patient__isnull=False).count() == billable.count()
    # Sliding-scale patients pay their class's fee, never more than the full fee.
    assert not Charge.objects.filter(amount__gt=F("full_fee")).exists()
    assert Charge.objects.filter(assessment__isnull=False, amount__lt=F("full_fee")).exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        Payment.objects.filter(pk=Payment.objects.first().pk).update(note="edited")


def test_assessments_are_approved_for_a_year_from_the_first_session(tiny_clinic):
    assessments = SlidingScaleAssessment.objects.all()
    assert assessments.exists()
    for assessment in assessments:
        assert assessment.status == "approved"
        assert assessment.expires_on > assessment.effective_from


def test_programs_still_to_come_are_full_and_have_a_waitlist(tiny_clinic):
    upcoming = GroupProgram.objects.filter(first_meeting_on__gt=clock.local_now().date())
    assert upcoming.exists()
    for program in upcoming.annotate(
        seated=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ENROLLED)),
        waiting=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.WAITLISTED)),
    ):
        assert program.seated == program.capacity
        assert program.waiting > 0
        assert program.meetings.count() == program.meeting_count
    positions = Enrollment.objects.filter(status=EnrollmentStatus.WAITLISTED).values_list(
        "program", "waitlist_position"
    )
    assert len(set(positions)) == len(positions)


def test_bulk_loaded_rows_have_their_history_insert_events(tiny_clinic):
    AppointmentEvent = apps.get_model("scheduling", "AppointmentEvent")
    assert AppointmentEvent.objects.filter(pgh_label="insert").count() == Appointment.objects.count()
    # The history trigger works again after the load.
    before = AppointmentEvent.objects.count()
    AppointmentFactory(start=clock.now() + dt.timedelta(days=400), end=clock.now() + dt.timedelta(days=400, hours=1))
    assert AppointmentEvent.objects.count() == before + 1


def test_seeding_again_reuses_the_clinic(tiny_clinic):
    out = io.StringIO()
    call_command(seed_large.Command(), **TINY, stdout=out)
    assert "reusing it" in out.getvalue()
    assert Patient.objects.count() == 100


def test_a_database_holding_another_clinic_is_refused():
    from django.core.management.base import CommandError

    from tests.factories import PatientFactory

    PatientFactory()
    with pytest.raises(CommandError, match="empty one"):
        call_command(seed_large.Command(), **TINY, stdout=io.StringIO())


def test_without_the_shipped_note_templates_the_seeder_says_what_is_missing():
    from django.core.management.base import CommandError

    from apps.notes.models import NoteTemplate

    NoteTemplate.objects.all().delete()
    with pytest.raises(CommandError, match="run the notes migrations"):
        call_command(seed_large.Command(), **TINY, stdout=io.StringIO())
    assert not Patient.objects.exists()
