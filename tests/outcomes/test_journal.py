"""The patient's private journal: encrypted, theirs alone unless an entry is shared with the therapist."""

import datetime as dt

import pytest
import time_machine
from django.db import connection

from apps.audit.models import AccessLog
from apps.core.errors import Unprocessable
from apps.outcomes import services
from apps.outcomes.models import JournalEntry
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db

SECRET = "I am furious with my mother and never say so."


@pytest.fixture
def patient_client(personas, login):
    return login(personas.patient_user)


def _write(client, text=SECRET, share=False):
    data = {"text": text, **({"share": "on"} if share else {})}
    assert client.post("/portal/journal/", data).status_code == 302
    return JournalEntry.objects.order_by("-id").first()


def test_entries_are_private_and_encrypted(personas, patient_client, login):
    entry = _write(patient_client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT content_encrypted FROM outcomes_journalentry WHERE id = %s", [entry.pk])
        raw = cursor.fetchone()[0]
    assert "furious" not in raw and raw.startswith("gAAAAA")
    assert SECRET in patient_client.get(f"/portal/journal/{entry.pk}/").content.decode()
    therapist = login(personas.therapist)
    assert (
        f"/outcomes/journal/{entry.pk}/"
        not in therapist.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    )
    assert therapist.get(f"/outcomes/journal/{entry.pk}/").status_code == 404


def test_a_shared_entry_reaches_the_therapist_and_can_be_taken_back(personas, patient_client, login):
    entry = _write(patient_client, share=True)
    therapist = login(personas.therapist)
    assert (
        f"/outcomes/journal/{entry.pk}/"
        in therapist.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    )
    assert SECRET in therapist.get(f"/outcomes/journal/{entry.pk}/").content.decode()
    row = AccessLog.objects.order_by("-id").first()
    assert (row.actor, row.action, row.allowed) == (personas.therapist, "journal_view", True)
    patient_client.post(f"/portal/journal/{entry.pk}/share/", {"shared": "0"})
    assert therapist.get(f"/outcomes/journal/{entry.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "other_patient_user"])
def test_nobody_else_reads_even_a_shared_entry(personas, patient_client, login, persona):
    entry = _write(patient_client, share=True)
    client = login(getattr(personas, persona))
    for url in [f"/outcomes/journal/{entry.pk}/", f"/portal/journal/{entry.pk}/"]:
        response = client.get(url)
        assert response.status_code in {403, 404}
        assert "furious" not in response.content.decode()


def test_the_patient_edits_and_deletes_entries(personas, patient_client, login):
    entry = _write(patient_client)
    patient_client.post(f"/portal/journal/{entry.pk}/", {"text": "Calmer today.", "share": "on"})
    entry.refresh_from_db()
    assert entry.is_shared
    assert "Calmer today." in patient_client.get(f"/portal/journal/{entry.pk}/").content.decode()
    other = login(personas.other_patient_user)
    assert other.post(f"/portal/journal/{entry.pk}/delete/").status_code == 404
    patient_client.post(f"/portal/journal/{entry.pk}/delete/", {"confirmed": "yes"})
    assert not JournalEntry.objects.exists()


def test_deleting_an_entry_asks_first_because_it_cannot_be_undone(personas, patient_client):
    entry = _write(patient_client)

    asked = patient_client.post(f"/portal/journal/{entry.pk}/delete/")

    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Delete this journal entry?" in page and "cannot be undone" in page
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert patient_client.post(f"/portal/journal/{entry.pk}/delete/", {"confirmed": "yes"}).status_code == 302
    assert not JournalEntry.objects.filter(pk=entry.pk).exists()


def test_entries_say_when_they_were_written_on_the_patients_own_clock(personas, patient_client):
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone="America/Los_Angeles")
    with time_machine.travel(dt.datetime(2026, 5, 29, 16, 30, tzinfo=dt.UTC), tick=False):
        entry = _write(patient_client)

    listed = patient_client.get("/portal/journal/").content.decode()
    opened = patient_client.get(f"/portal/journal/{entry.pk}/").content.decode()

    assert "Friday, May 29, 2026 at 9:30 AM Los Angeles time" in listed and "12:30 PM" not in listed
    assert "Written Friday, May 29, 2026 at 9:30 AM Los Angeles time" in opened


def test_staff_have_no_journal(personas, login):
    assert login(personas.therapist).get("/portal/journal/").status_code == 403
    assert login(personas.front_desk).post("/portal/journal/", {"text": "x"}).status_code == 403


def test_text_and_sharing_change_together_or_not_at_all(personas, patient_client):
    entry = _write(patient_client)
    with pytest.raises(Unprocessable):
        services.journal_entry_update(actor=personas.patient_user, entry=entry, text="  ", shared=True)
    entry.refresh_from_db()
    assert not entry.is_shared
    services.journal_entry_update(actor=personas.patient_user, entry=entry, text="Calmer.", shared=True)
    entry.refresh_from_db()
    assert entry.is_shared
