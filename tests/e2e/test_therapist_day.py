"""A therapist's clinic day in real Chromium: My day leads straight to the note of a session just finished, which
starts from the progress template (the patient is returning), and signing asks for the attestation. The chart of a
patient with a single score draws one point on a sensible axis, beside empty states for the other graphs."""

import datetime as dt
import re

import pytest

from apps.core import clock
from apps.notes.models import ATTESTATION, SessionNote
from apps.outcomes.instruments import PHQ9
from apps.outcomes.models import QuestionnaireResponse
from apps.scheduling.models import AppointmentStatus
from tests.e2e.conftest import assert_accessible, follow, session_start
from tests.e2e.world import earlier_signed_note, progress_note_fill, session_under_way
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_therapist_goes_from_my_day_to_a_signed_attested_note(page, personas, shots):
    earlier_signed_note(personas)
    session = session_under_way(personas, status=AppointmentStatus.COMPLETED)

    session_start(page, personas.therapist, open_home=False)
    page.goto("/schedule/my-day/")
    row = page.get_by_role("row").filter(has_text=personas.patient.display_name).filter(has_text="Completed")
    write = row.get_by_role("link", name=re.compile(r"^Write note for Pat Ient"))
    write.wait_for()
    page.screenshot(path=shots / "my-day.png", full_page=True)
    assert_accessible(page)

    follow(page, write)
    template = page.get_by_label("Template")
    assert template.locator("option:checked").inner_text() == "Psychodynamic TMS progress note"
    follow(page, page.get_by_role("button", name="Start note"))
    progress_note_fill(page)

    signing = page.get_by_role("group", name="Sign this note")
    for section in ("Symptoms", "Psychodynamics", "Session", "Risk"):
        assert signing.get_by_role("listitem").filter(has_text=section).count() == 1
    assert "cannot be edited" in signing.inner_text()
    follow(page, signing.get_by_role("button", name="Sign note"))  # without the box: refused by the server
    page.get_by_text(f"Tick “{ATTESTATION}” to sign.").wait_for()
    assert SessionNote.objects.get(appointment=session).status == "draft"
    assert page.get_by_label("Plan and homework").input_value() == "Journal on the visit; weekly sessions."
    page.get_by_role("group", name="Sign this note").screenshot(path=shots / "sign-needs-attestation.png")
    assert_accessible(page)

    page.get_by_role("checkbox", name=ATTESTATION).check()
    follow(page, page.get_by_role("group", name="Sign this note").get_by_role("button", name="Sign note"))
    page.get_by_text("Note signed.").wait_for()
    page.get_by_text(f"attesting: “{ATTESTATION}”").wait_for()
    note = SessionNote.objects.get(appointment=session)
    assert (note.status, note.attestation, note.template.kind) == ("signed", ATTESTATION, "progress")

    page.goto("/schedule/my-day/")
    view = page.get_by_role("link", name=re.compile(r"^View note for Pat Ient"))
    assert view.get_attribute("href") == f"/notes/{note.pk}/"


def test_a_chart_with_one_score_draws_it_on_a_readable_axis(page, personas, shots):
    patient = PatientFactory(primary_therapist=personas.therapist, legal_first_name="Una", legal_last_name="Score")
    answers = [2, 2, 2, 2, 2, 2, 2, 2, 0]
    score = PHQ9.score(answers)
    QuestionnaireResponse.objects.create(
        patient=patient,
        instrument="phq9",
        answers=answers,
        score=score.total,
        severity=score.severity,
        submitted_at=clock.now() - dt.timedelta(days=2),
    )
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    session_start(page, personas.therapist, open_home=False)
    page.goto(f"/notes/patients/{patient.pk}/chart/")
    page.wait_for_function("() => window.Chart && Chart.getChart('mood-chart')")
    labels = page.evaluate("() => Chart.getChart('mood-chart').scales.x.ticks.map(t => t.label)")
    assert 2 <= len(labels) <= 6 and all(labels), labels
    span = page.evaluate("() => { const x = Chart.getChart('mood-chart').scales.x; return x.max - x.min; }")
    assert abs(span - 14 * 86_400_000) <= 3_600_000  # two weeks around the score (a DST day is an hour short)
    y_title = page.evaluate("() => Chart.getChart('mood-chart').options.scales.y.title")
    assert (y_title["display"], y_title["text"]) == (True, "Score (higher is worse)")
    points = page.evaluate("() => Chart.getChart('mood-chart').data.datasets.map(d => d.data.length)")
    assert points == [1]
    assert page.get_by_text("No scores yet.").count() == 2
    page.get_by_text("Scores as a table").click()
    assert page.get_by_role("cell", name="Moderately severe").count() == 1
    page.screenshot(path=shots / "chart-one-score.png", full_page=True)
    assert_accessible(page)
    assert problems == []
