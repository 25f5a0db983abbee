import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.notes.models import SessionNote

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
