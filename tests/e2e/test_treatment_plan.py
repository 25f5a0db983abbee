"""A therapist writes a treatment plan on the patient's chart (rows added with htmx), signs it after attesting,
and sees it on the chart with progress toward each goal."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.core import clock
from apps.notes.models import TreatmentPlan
from apps.outcomes.models import QuestionnaireResponse
from tests.e2e.conftest import PHONE, assert_accessible, follow, session_start
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = "/tmp/clinic-plan-screenshots"


def _score(patient, instrument: str, score: int, days_ago: int) -> None:
    at = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(8, 0))
    QuestionnaireResponse.objects.create(
        patient=patient, instrument=instrument, answers=[], score=score, severity="mild", submitted_at=at
    )


def _shot(page, name: str) -> None:
    page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_therapist_writes_signs_and_follows_a_treatment_plan(page, personas):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=21), dt.time(10))
    AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )
    for instrument, before, now in [("phq9", 15, 11), ("pain_nrs", 6, 3)]:
        _score(personas.patient, instrument, before, days_ago=20)
        _score(personas.patient, instrument, now, days_ago=2)
    plan_start = clock.local_now().date() - dt.timedelta(days=14)

    session_start(page, personas.therapist, open_home=False)
    page.goto(f"/notes/patients/{personas.patient.pk}/chart/")
    page.get_by_text("No signed treatment plan yet.").wait_for()
    follow(page, page.get_by_role("link", name="Write a treatment plan"))

    page.get_by_label("Plan starts").fill(plan_start.isoformat())
    page.get_by_label("Review by").fill((plan_start + dt.timedelta(days=90)).isoformat())
    page.get_by_label("Problem 1").fill("Chronic low back pain driven by anger she cannot voice.")
    page.get_by_label("Goal 1.1", exact=True).fill("Mood lifts; she enjoys work again.")
    page.get_by_label("Measure for goal 1.1").select_option(label="PHQ-9 (0–27)")
    page.get_by_label("Target for goal 1.1").select_option(label="At most")
    page.get_by_label("Target score for goal 1.1").fill("9")
    page.get_by_role("button", name="Add intervention for goal 1.1").click()
    intervention = page.get_by_label("Intervention 1 for goal 1.1")
    # Focus moves to the new row once the script has placed it (expect waits for it).
    expect(intervention).to_be_focused()
    intervention.fill("Psychodynamic psychotherapy, weekly")

    page.get_by_role("button", name="Add goal to problem 1").click()
    second_goal = page.get_by_label("Goal 1.2", exact=True)
    expect(second_goal).to_be_focused()
    second_goal.fill("Average pain low enough to sit through a workday.")
    page.get_by_label("Measure for goal 1.2").select_option(label="Pain rating (0–10)")
    page.get_by_label("Target for goal 1.2").select_option(label="At most")
    page.get_by_label("Target score for goal 1.2").fill("3")
    page.get_by_role("button", name="Add intervention for the whole plan").click()
    page.get_by_label("Plan intervention 1").fill("TMS education and daily journaling")
    # What was typed before the rows were added is still there.
    assert page.get_by_label("Intervention 1 for goal 1.1").input_value() == "Psychodynamic psychotherapy, weekly"
    assert_accessible(page)
    _shot(page, "plan-form")

    follow(page, page.get_by_role("button", name="Save and sign…"))
    page.get_by_role("heading", name="Sign the treatment plan").wait_for()
    assert_accessible(page)
    _shot(page, "plan-sign")
    follow(page, page.get_by_role("button", name="Sign plan"))
    page.get_by_text("Tick the box to attest to this plan.").first.wait_for()
    page.get_by_label("I attest that this treatment plan").check()
    follow(page, page.get_by_role("button", name="Sign plan"))
    page.get_by_text("Plan signed.").wait_for()
    assert_accessible(page)
    _shot(page, "plan-page")
    plan = TreatmentPlan.objects.get(patient=personas.patient)
    assert plan.status == "signed" and plan.signed_by == personas.therapist

    follow(page, page.get_by_role("link", name="Patient chart"))
    section = page.get_by_role("region", name="Treatment plan")
    section.get_by_text("On track").wait_for()
    assert section.get_by_text("Target met").is_visible()
    assert section.get_by_text("Latest 11 / 27").is_visible()
    assert section.get_by_role("link", name="Revise plan").is_visible()
    assert_accessible(page)
    _shot(page, "plan-on-chart")
    page.set_viewport_size(PHONE)
    _shot(page, "plan-on-chart-phone")
    page.goto(f"/notes/patients/{personas.patient.pk}/plans/new/")
    page.get_by_role("heading", name="Revise the treatment plan").wait_for()
    assert_accessible(page)
    _shot(page, "plan-revision-form-phone")
