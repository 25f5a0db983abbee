import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.models import User
from apps.notes.models import SessionNote
from apps.notes.selectors import NOTE_NEEDED_STATUSES, overdue_counts_by_therapist, unsigned_note_counts
from apps.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def test_the_demo_notes_were_signed_soon_after_their_sessions_not_when_the_seed_ran():
    """A therapist signs a session's note the evening it was held: a demo history signed all at once on the day the
    seed ran would fill every audit trail and the chart's timeline with one date."""
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    signed = list(SessionNote.objects.filter(status="signed").select_related("appointment"))
    assert len(signed) > 20
    for note in signed:
        assert note.appointment.end <= note.signed_at <= min(note.appointment.end + dt.timedelta(hours=3), now)
        assert note.attested_at == note.signed_at
    assert min(note.signed_at for note in signed) < now - dt.timedelta(weeks=3)


def test_the_demo_therapists_are_behind_on_notes_only_for_the_last_day_or_two():
    """A demo clinic looks kept: every past session's note is written and signed, and a pre-licensed therapist's
    co-signed by their supervisor, but for a few sessions of the last two days still in hand, never overdue."""
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    assert not list(overdue_counts_by_therapist())
    signed = SessionNote.objects.filter(status="signed", appointment__end__lte=now - dt.timedelta(days=2))
    needing = Appointment.objects.filter(
        patient__isnull=False, status__in=NOTE_NEEDED_STATUSES, start__lte=now
    ).exclude(Exists(signed.filter(appointment_id=OuterRef("pk"))))
    assert set(needing.values_list("pk", flat=True)) == set(
        needing.filter(end__gt=now - dt.timedelta(days=2)).values_list("pk", flat=True)
    )
    awaiting = SessionNote.objects.filter(cosign_required=True, cosigned_at__isnull=True)
    assert not awaiting.filter(signed_at__lte=now - dt.timedelta(days=1)).exists()
    tom, sarah = (User.objects.get(email=f"{name}@clinic.test") for name in ("tom.baker", "sarah.chen"))
    cosigned = SessionNote.objects.filter(author=tom, cosigned_by=sarah)
    assert cosigned.count() > 10
    for note in cosigned:
        assert note.signed_at < note.cosigned_at <= min(note.signed_at + dt.timedelta(days=1), now)
    for therapist in (tom, sarah):
        assert unsigned_note_counts(therapist=therapist).overdue == 0
