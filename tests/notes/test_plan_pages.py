"""Treatment-plan pages: the form (rows added and removed with htmx, saved as a draft), the plan page, signing
after attesting on a confirmation page, and the plan with progress on the patient's chart."""

import datetime as dt
import re

import pytest

from apps.audit.models import AccessLog
from apps.core import clock
from apps.notes.models import TreatmentPlan
from apps.notes.plan_selectors import plan_open, plan_progress
from apps.outcomes.models import QuestionnaireResponse

from .conftest import CANARY, draft_plan_for, plan_content, signed_plan_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist_client(personas, login):
    return login(personas.therapist)


def _dates(start_days: int = 0, review_days: int = 90) -> dict:
    today = clock.local_now().date()
    return {
        "start_date": (today + dt.timedelta(days=start_days)).isoformat(),
        "review_date": (today + dt.timedelta(days=review_days)).isoformat(),
    }


FORM = {
    "p-0-text": "Chronic low back pain driven by unexpressed anger.",
    "p-0-g-0-description": "Lift her mood.",
    "p-0-g-0-measure": "phq9",
    "p-0-g-0-direction": "at_most",
    "p-0-g-0-target_score": "9",
    "p-0-g-0-target_date": "",
    "p-0-g-0-i-0": "Psychodynamic psychotherapy, weekly",
    "i-0": "TMS education and daily journaling",
}


def _score(patient, instrument: str, score: int, days_ago: int) -> None:
    at = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(8, 0))
    QuestionnaireResponse.objects.create(
        patient=patient, instrument=instrument, answers=[], score=score, severity="mild", submitted_at=at
    )


def test_the_new_plan_form_starts_with_one_problem_and_goal(personas, therapist_client):
    response = therapist_client.get(f"/notes/patients/{personas.patient.pk}/plans/new/")
    assert response.status_code == 200
    body = response.content.decode()
    for label in ["Problem 1", "Goal 1.1", "Measure for goal 1.1", "Target score for goal 1.1", "Review by"]:
        assert f">{label}</label>" in body
    assert "PHQ-9 (0–27)" in body and "<script>" not in body


def test_adding_and_removing_rows_rerenders_the_form_without_saving(personas, therapist_client):
    url = f"/notes/patients/{personas.patient.pk}/plans/new/"
    response = therapist_client.post(url, {**_dates(), **FORM, "add": "p-0-goal"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="plan-editor">')
    assert 'id="id_p-0-g-1-description"' in body and re.search(r'id="id_p-0-g-1-description"[^>]*autofocus', body)
    assert 'value="Psychodynamic psychotherapy, weekly"' in body  # what was typed is kept
    response = therapist_client.post(url, {**_dates(), **FORM, "remove": "p-0-g-0-i-0"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Psychodynamic psychotherapy, weekly" not in body
    assert re.search(r'id="add-p-0-g-0-intervention"[^>]*autofocus', body)
    full_page = therapist_client.post(url, {**_dates(), **FORM, "add": "problem"})  # without JavaScript
    assert "<h1>" in full_page.content.decode() and 'id="id_p-1-text"' in full_page.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_saving_the_form_stores_a_draft_and_drops_empty_rows(personas, therapist_client):
    form = {**_dates(), **FORM, "p-0-g-1-description": "", "p-0-g-1-measure": "", "p-1-text": "", "i-1": " "}
    response = therapist_client.post(f"/notes/patients/{personas.patient.pk}/plans/new/", form)
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302 and response.url == f"/notes/plans/{plan.pk}/"
    content = plan_open(user=personas.therapist, plan_id=plan.pk).content()
    assert len(content["problems"]) == 1 and len(content["problems"][0]["goals"]) == 1
    assert content["interventions"] == ["TMS education and daily journaling"]
    # Opening "new plan" again leads to the draft rather than a second one.
    again = therapist_client.get(f"/notes/patients/{personas.patient.pk}/plans/new/")
    assert again.url == f"/notes/plans/{plan.pk}/edit/"


def test_a_bad_target_is_shown_next_to_its_field(personas, therapist_client):
    form = {**_dates(), **FORM, "p-0-g-0-target_score": "40"}
    response = therapist_client.post(f"/notes/patients/{personas.patient.pk}/plans/new/", form)
    assert response.status_code == 422
    body = response.content.decode()
    assert re.search(r'name="p-0-g-0-target_score"[^>]*aria-invalid="true"', body)
    assert "PHQ-9 scores run from 0 to 27." in body
    assert not TreatmentPlan.objects.exists()


def test_save_and_sign_leads_to_the_confirmation_then_signs_with_the_attestation(personas, therapist_client):
    response = therapist_client.post(
        f"/notes/patients/{personas.patient.pk}/plans/new/", {**_dates(), **FORM, "sign": ""}
    )
    plan = TreatmentPlan.objects.get()
    assert response.url == f"/notes/plans/{plan.pk}/sign/"
    page = therapist_client.get(response.url).content.decode()
    assert "Signing makes this plan final" in page and "I attest that this treatment plan" in page
    refused = therapist_client.post(response.url, {})
    assert refused.status_code == 422 and "Tick the box to attest to this plan." in refused.content.decode()
    assert TreatmentPlan.objects.get().status == "draft"
    signed = therapist_client.post(response.url, {"attest": "on"})
    assert signed.url == f"/notes/plans/{plan.pk}/"
    assert TreatmentPlan.objects.get().status == "signed"
    assert "Plan signed." in therapist_client.get(signed.url).content.decode()
    assert therapist_client.get(f"/notes/plans/{plan.pk}/edit/").url == f"/notes/plans/{plan.pk}/"


def test_the_confirmation_lists_what_an_incomplete_draft_lacks(personas, therapist_client):
    plan = draft_plan_for(
        personas.therapist, personas.patient, content={"problems": [{"text": "Neck tension.", "goals": []}]}
    )
    body = therapist_client.get(f"/notes/plans/{plan.pk}/sign/").content.decode()
    assert "Before you can sign" in body and "Problem 1: Add at least one goal." in body
    assert 'name="attest"' not in body


def test_revising_starts_from_the_plan_in_force_and_signing_replaces_it(personas, therapist_client):
    first = signed_plan_for(personas.therapist, personas.patient)
    page = therapist_client.get(f"/notes/patients/{personas.patient.pk}/plans/new/").content.decode()
    assert "Revise the treatment plan" in page and "Chronic low back pain driven by unexpressed anger." in page
    therapist_client.post(f"/notes/patients/{personas.patient.pk}/plans/new/", {**_dates(), **FORM})
    revision = TreatmentPlan.objects.get(status="draft")
    confirm = therapist_client.get(f"/notes/plans/{revision.pk}/sign/").content.decode()
    assert "It replaces the plan signed on" in confirm
    therapist_client.post(f"/notes/plans/{revision.pk}/sign/", {"attest": "on"})
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by_id == revision.pk
    chart = therapist_client.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "Earlier plans (1)" in chart


def test_the_chart_the_plan_page_and_the_api_show_the_same_progress(personas, therapist_client, login):
    plan = signed_plan_for(personas.therapist, personas.patient, start_offset_days=-30)
    _score(personas.patient, "phq9", 15, days_ago=35)
    _score(personas.patient, "phq9", 12, days_ago=3)
    _score(personas.patient, "pain_nrs", 2, days_ago=3)
    expected = [
        goal.progress.label
        for row in plan_progress(opened=plan_open(user=personas.therapist, plan_id=plan.pk))
        for goal in row.goals
    ]
    assert expected == ["On track", "Target met"]
    badges = re.compile(r'<span class="badge[^"]*">(On track|Target met|No scores yet|No change yet)</span>')
    chart = therapist_client.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    page = therapist_client.get(f"/notes/plans/{plan.pk}/").content.decode()
    assert badges.findall(chart) == expected == badges.findall(page)
    assert "Latest 12 / 27" in chart and "15 at the start" in chart
    api = login(personas.therapist, api=True).get(f"/api/treatment-plans/{plan.pk}/").json()
    assert [g["progress"]["label"] for p in api["problems"] for g in p["goals"]] == expected


def test_the_chart_logs_the_plan_read_and_offers_a_plan_when_there_is_none(personas, therapist_client):
    chart = therapist_client.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "No signed treatment plan yet." in chart and "Write a treatment plan" in chart
    plan = signed_plan_for(personas.therapist, personas.patient)
    therapist_client.get(f"/notes/patients/{personas.patient.pk}/chart/")
    assert AccessLog.objects.filter(subject_type="notes.treatmentplan", subject_id=str(plan.pk), action="plan_view")


def test_review_due_shows_on_the_chart_and_in_the_authors_to_do_list(personas, login, colleague):
    due = signed_plan_for(personas.therapist, personas.patient, start_offset_days=-90, review_after_days=90)
    not_yet = signed_plan_for(personas.other_therapist, personas.other_patient, review_after_days=1)
    client = login(personas.therapist)
    chart = client.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert '<span class="badge warn">Review due</span>' in chart
    queue = client.get("/notes/unsigned/").content.decode()
    assert "Treatment plans due for review" in queue and f"/notes/plans/{due.pk}/" in queue
    other = login(personas.other_therapist)
    assert "Review due" not in other.get(f"/notes/patients/{personas.other_patient.pk}/chart/").content.decode()
    assert "Treatment plans due for review" not in other.get("/notes/unsigned/").content.decode()
    # The colleague sees the badge on the chart, but the review is the author's to-do.
    assert "Review due" in login(colleague).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "Treatment plans due for review" not in login(colleague).get("/notes/unsigned/").content.decode()
    assert not_yet.review_date > clock.local_now().date()


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin", "patient_user"])
def test_plan_pages_are_closed_to_everyone_else(personas, login, persona):
    signed = signed_plan_for(personas.therapist, personas.patient, content=plan_content(description=CANARY))
    draft = draft_plan_for(personas.therapist, personas.patient, content=plan_content(description=CANARY))
    client = login(getattr(personas, persona))
    for response in [
        client.get(f"/notes/plans/{signed.pk}/"),
        client.get(f"/notes/plans/{draft.pk}/"),
        client.get(f"/notes/plans/{draft.pk}/edit/"),
        client.post(f"/notes/plans/{draft.pk}/edit/", {**_dates(), **FORM}),
        client.get(f"/notes/plans/{draft.pk}/sign/"),
        client.post(f"/notes/plans/{draft.pk}/sign/", {"attest": "on"}),
        client.get(f"/notes/patients/{personas.patient.pk}/plans/new/"),
        client.post(f"/notes/patients/{personas.patient.pk}/plans/new/", {**_dates(), **FORM}),
    ]:
        assert response.status_code == 404
        assert CANARY not in response.content.decode()
    assert TreatmentPlan.objects.get(pk=draft.pk).status == "draft"
    assert TreatmentPlan.objects.count() == 2


def test_a_colleague_reads_the_signed_plan_but_not_the_draft_and_changes_neither(personas, login, colleague):
    signed = signed_plan_for(personas.therapist, personas.patient)
    client = login(colleague)
    assert client.get(f"/notes/plans/{signed.pk}/").status_code == 200
    assert client.get(f"/notes/plans/{signed.pk}/sign/").status_code == 403
    assert client.get(f"/notes/plans/{signed.pk}/edit/").status_code == 403
    draft = draft_plan_for(personas.therapist, personas.patient)
    assert client.get(f"/notes/plans/{draft.pk}/").status_code == 404


def _add_goals_and_scores(personas, plan_count_goals: int, score_count: int):
    content = plan_content()
    content["problems"][0]["goals"] = content["problems"][0]["goals"][:1] * plan_count_goals
    plan = signed_plan_for(personas.therapist, personas.patient, content=content)
    for days in range(score_count):
        _score(personas.patient, "phq9", 10, days_ago=days + 1)
    return plan


@pytest.mark.parametrize("path", ["chart", "plan"])
def test_the_plan_on_the_chart_and_its_page_take_constant_queries(
    personas, therapist_client, django_assert_max_num_queries, path
):
    small = _add_goals_and_scores(personas, 1, 1)
    url = {"chart": f"/notes/patients/{personas.patient.pk}/chart/", "plan": f"/notes/plans/{small.pk}/"}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert therapist_client.get(url[path]).status_code == 200
    large = _add_goals_and_scores(personas, 8, 20)
    url["plan"] = f"/notes/plans/{large.pk}/"
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert therapist_client.get(url[path]).status_code == 200


def test_the_admin_lists_plans_without_their_text(personas, login):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    plan = signed_plan_for(personas.therapist, personas.patient, content=plan_content(description=CANARY))
    client = login(personas.admin)
    for url in ["/admin/notes/treatmentplan/", f"/admin/notes/treatmentplan/{plan.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert CANARY not in response.content.decode() and "gAAAAA" not in response.content.decode()
    for model in ["problem", "goal", "intervention"]:
        assert client.get(f"/admin/notes/{model}/").status_code == 404
