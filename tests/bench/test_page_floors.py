"""The read floors of a patient's pages return the rows those pages show: the same sessions, the same next
session, the same forms, as the app's selectors read them. A floor that fetched less would flatter the page's
ratio; one that fetched more would excuse it."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from apps.accounts.models import User
from apps.intake.selectors import patient_documents
from apps.notes.selectors import patient_sessions_page, patient_sessions_with_notes
from apps.patients.models import Patient
from apps.scheduling.selectors import patient_next_session, patient_upcoming_visible
from bench import fixtures, page_floors, seed_large

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]


@pytest.fixture
def clinic():
    call_command(seed_large.Command(), scale=0.01, weeks=12, stdout=io.StringIO())


def _floor(sql: str, **params) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, **page_floors.clock_params()})
        names = [column.name for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _ids(rows) -> list[int]:
    return [row["id"] for row in rows or []]


# At some hours the patient has no session ahead: the floor and the page then both have none.
def _id(row) -> int | None:
    return row["id"] if row else None


def _pk(appointment) -> int | None:
    return appointment.pk if appointment else None


def test_the_staff_pages_floors_read_the_sessions_and_forms_their_pages_show(clinic):
    therapist_id, patient_id = fixtures.chart_targets(1)[0]
    therapist, patient = User.objects.get(pk=therapist_id), Patient.objects.get(pk=patient_id)

    details = _floor(page_floors.DETAILS, patient=patient_id, therapist=therapist_id)
    chart = _floor(page_floors.CHART, patient=patient_id, therapist=therapist_id)

    shown = patient_upcoming_visible(user=therapist, patient=patient, limit=5)
    assert _ids(details["upcoming"]) == [a.pk for a in shown]
    started = list(patient_sessions_page(user=therapist, patient=patient, number=1))
    assert started and _ids(chart["sessions"]) == [a.pk for a in started]
    in_all = patient_sessions_with_notes(user=therapist, patient=patient).count()
    assert {s["started"] for s in chart["sessions"]} == {in_all}
    assert [s["note_id"] for s in chart["sessions"]] == [a.visible_note.pk if a.visible_note else None for a in started]
    assert _id(details["next_session"]) == _id(chart["next_session"]) == _pk(patient_next_session(patient=patient))
    assert _ids(details["forms"]) == [d.document.pk for d in patient_documents(patient=patient)]


def test_the_portal_floor_reads_the_next_session_and_the_forms_the_home_shows(clinic):
    user = fixtures.portal_patients(1)[0]
    patient = user.patient

    home = _floor(page_floors.PORTAL, patient=patient.pk)

    assert _id(home["next_session"]) == _pk(patient_next_session(patient=patient))
    assert _ids(home["forms"]) == [d.document.pk for d in patient_documents(patient=patient)]
