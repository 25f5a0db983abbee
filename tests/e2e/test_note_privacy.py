"""A therapist writes, signs and addends a session note; the patient can reach it by no page and no API."""

import datetime as dt

import pytest

from apps.core import clock
from apps.notes.models import SessionNote
from tests.e2e.conftest import assert_accessible, session_start
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Rage at her father surfaced"
ADDENDUM = "Correction: the flare began on Tuesday"


def test_therapist_signs_and_addends_a_note_that_the_patient_cannot_reach(page, new_page, personas):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=1), dt.time(10))
    session = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )

    session_start(page, personas.therapist, open_home=False)
    page.goto(f"/notes/sessions/{session.pk}/")
    page.get_by_label("Template").select_option(label="Psychodynamic TMS progress note")
    page.get_by_role("button", name="Start note").click()
    page.get_by_label("Presenting symptoms").fill("Low back pain, worse on work days.")
    page.get_by_role("checkbox", name="Back").check()
    page.get_by_label("Pain intensity now (0-10)").fill("4")
    page.get_by_label("Pain intensity at worst this week (0-10)").fill("7")
    page.get_by_role("radio", name="Better", exact=True).check()
    page.get_by_label("Emotional themes: notes").fill(SECRET)
    page.get_by_role("checkbox", name="Interpretation").check()
    page.get_by_label("Patient's response and insight").fill("Linked the flare to anger she could not voice.")
    page.get_by_label("Plan and homework").fill("Journal daily; weekly sessions.")
    page.get_by_role("radio", name="None", exact=True).check()
    assert_accessible(page)
    page.get_by_role("checkbox", name="I attest this note is accurate and complete.").check()
    page.get_by_role("button", name="Sign note").click()
    page.get_by_text("Note signed.").wait_for()
    page.get_by_role("textbox", name="Addendum").fill(ADDENDUM)
    page.get_by_role("button", name="Add addendum").click()
    page.get_by_text("Addendum added.").wait_for()
    page.get_by_text(ADDENDUM).wait_for()
    assert_accessible(page)
    note = SessionNote.objects.get(appointment=session)
    assert note.status == "signed"

    patient = new_page()
    session_start(patient, personas.patient_user)
    for path in ("/portal/", "/portal/sessions/", "/portal/billing/", "/portal/journal/", "/portal/questionnaires/"):
        response = patient.goto(path)
        assert response.status == 200, path
        assert SECRET not in patient.content() and ADDENDUM not in patient.content()
    for path in (
        f"/notes/{note.pk}/",
        f"/notes/sessions/{session.pk}/",
        f"/notes/patients/{personas.patient.pk}/chart/",
    ):
        response = patient.goto(path)
        assert response.status in (403, 404), path
        assert SECRET not in patient.content()
    csrf = next(c["value"] for c in patient.context.cookies() if c["name"] == "csrftoken")
    export = patient.request.post(
        f"/notes/patients/{personas.patient.pk}/records.pdf", headers={"X-CSRFToken": csrf, "Referer": patient.url}
    )
    assert export.status in (403, 404)
    for path in (f"/api/notes/{note.pk}/", f"/api/notes/?patient={personas.patient.pk}"):
        response = patient.request.get(path)
        assert SECRET not in response.text()
        assert response.status in (403, 404) or response.json()["results"] == [], path
