"""The treatment-plan API: write, update, sign; who may do what (a matrix per persona); access-log rows."""

import datetime as dt

import pytest

from apps.audit.models import AccessLog
from apps.core import clock
from apps.notes.models import TreatmentPlan
from tests.factories import TherapistFactory

from .conftest import CANARY, draft_plan_for, plan_content, signed_plan_for

pytestmark = pytest.mark.django_db

PLANS = "/api/treatment-plans/"


def _body(**changes) -> dict:
    today = clock.local_now().date()
    body = {"review_date": (today + dt.timedelta(days=90)).isoformat(), **plan_content()}
    body.update(changes)
    return body


def test_a_therapist_writes_revises_and_signs_a_plan_through_the_api(personas, login):
    api = login(personas.therapist, api=True)
    response = api.post(PLANS, {"patient": personas.patient.pk, **_body()}, format="json")
    assert response.status_code == 201, response.content
    plan = response.json()
    assert (plan["status"], plan["start_date"]) == ("draft", clock.local_now().date().isoformat())
    goal = plan["problems"][0]["goals"][0]
    assert (goal["measure"], goal["target_score"], goal["direction"]) == ("phq9", 9, "at_most")
    assert goal["progress"] == {"status": "no_scores", "label": "No scores yet", "latest": None, "baseline": None}
    assert [i["description"] for i in plan["interventions"]] == ["TMS education and daily journaling"]

    # A PATCH replaces what it names and keeps the rest.
    response = api.patch(f"{PLANS}{plan['id']}/", {"interventions": ["Lecture series"]}, format="json")
    assert response.status_code == 200, response.content
    assert [i["description"] for i in response.json()["interventions"]] == ["Lecture series"]
    assert response.json()["problems"][0]["text"] == plan["problems"][0]["text"]

    response = api.post(f"{PLANS}{plan['id']}/sign/", {"attest": False}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"attest": ["Tick the box to attest to this plan."]}
    response = api.post(f"{PLANS}{plan['id']}/sign/", {"attest": True}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "signed" and response.json()["attestation"].startswith("I attest")

    response = api.patch(f"{PLANS}{plan['id']}/", {"interventions": []}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_bad_input_answers_400_or_422_with_field_messages(personas, login):
    api = login(personas.therapist, api=True)
    response = api.post(PLANS, {"patient": personas.patient.pk, "review_date": "soon"}, format="json")
    assert response.status_code == 400
    assert "review_date" in response.json()["error"]["fields"]
    body = _body()
    body["problems"][0]["goals"][0]["target_score"] = 30
    response = api.post(PLANS, {"patient": personas.patient.pk, **body}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"problems.0.goals.0.target_score": ["PHQ-9 scores run from 0 to 27."]}
    start = clock.local_now().date()
    response = api.post(
        PLANS,
        {"patient": personas.patient.pk, **_body(start_date=start.isoformat(), review_date=start.isoformat())},
        format="json",
    )
    assert response.status_code == 422
    assert not TreatmentPlan.objects.exists()


def test_a_second_draft_conflicts(personas, login):
    draft_plan_for(personas.therapist, personas.patient)
    response = login(personas.therapist, api=True).post(
        PLANS, {"patient": personas.patient.pk, **_body()}, format="json"
    )
    assert response.status_code == 409


@pytest.fixture
def plans(personas, colleague):
    """A signed plan by the personas' therapist, started 90 days ago and due for review today; a later draft by a
    colleague who also treats the patient; and a supervisor of the therapist. Every text holds the canary."""
    supervisor = TherapistFactory(email="supervisor@example.test")
    profile = personas.therapist.therapist_profile
    profile.is_prelicensed, profile.supervisor = True, supervisor
    profile.save()
    content = plan_content(description=f"Goal {CANARY}")
    signed = signed_plan_for(personas.therapist, personas.patient, content=content, start_offset_days=-90)
    draft = draft_plan_for(colleague, personas.patient, content=content)
    return {"signed": signed, "draft": draft, "supervisor": supervisor, "colleague": colleague}


ALL = ["therapist", "colleague", "supervisor", "other_therapist", "front_desk", "billing", "admin", "patient_user"]


def _user(personas, plans, name):
    return plans.get(name) or getattr(personas, name)


READ_SIGNED = {"therapist": 200, "colleague": 200, "supervisor": 200}
READ_DRAFT = {"colleague": 200}


@pytest.mark.parametrize("persona", ALL)
def test_who_reads_which_plan(personas, login, plans, persona):
    api = login(_user(personas, plans, persona), api=True)
    for plan, allowed in [(plans["signed"], READ_SIGNED), (plans["draft"], READ_DRAFT)]:
        response = api.get(f"{PLANS}{plan.pk}/")
        assert response.status_code == allowed.get(persona, 404), (persona, plan.status)
        if response.status_code != 200:
            assert CANARY not in response.content.decode()
        logged = AccessLog.objects.filter(subject_id=str(plan.pk), subject_type="notes.treatmentplan").latest("pk")
        assert (logged.actor_id, logged.allowed) == (_user(personas, plans, persona).pk, response.status_code == 200)


LISTED = {"therapist": ["signed"], "colleague": ["draft", "signed"], "supervisor": ["signed"], "other_therapist": []}


@pytest.mark.parametrize("persona", ALL)
def test_lists_carry_no_text_and_only_what_the_caller_may_see(personas, login, plans, persona):
    response = login(_user(personas, plans, persona), api=True).get(f"{PLANS}?patient={personas.patient.pk}")
    if persona not in LISTED:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert sorted(row["status"] for row in response.json()["results"]) == LISTED[persona]
    assert CANARY not in response.content.decode() and "problems" not in response.content.decode()


@pytest.mark.parametrize("persona", ALL)
def test_only_a_treating_therapist_starts_a_plan(personas, login, plans, persona):
    response = login(_user(personas, plans, persona), api=True).post(
        PLANS, {"patient": personas.patient.pk, **_body()}, format="json"
    )
    # The therapist has a signed plan and no draft, so may start the revision; the colleague already has a draft.
    expected = {"therapist": 201, "colleague": 409}.get(persona, 404)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("persona", ALL)
def test_only_the_author_updates_or_signs_the_draft(personas, login, plans, persona):
    api = login(_user(personas, plans, persona), api=True)
    draft = plans["draft"]
    update = api.patch(f"{PLANS}{draft.pk}/", {"interventions": ["x"]}, format="json")
    sign = api.post(f"{PLANS}{draft.pk}/sign/", {"attest": True}, format="json")
    expected = 200 if persona == "colleague" else 404
    assert (update.status_code, sign.status_code) == (expected, expected)
    assert TreatmentPlan.objects.get(pk=draft.pk).status == ("signed" if persona == "colleague" else "draft")


@pytest.mark.parametrize("persona", ["colleague", "supervisor"])
def test_readers_of_a_signed_plan_may_not_change_it(personas, login, plans, persona):
    api = login(_user(personas, plans, persona), api=True)
    assert api.patch(f"{PLANS}{plans['signed'].pk}/", {"interventions": []}, format="json").status_code == 403
    assert api.post(f"{PLANS}{plans['signed'].pk}/sign/", {"attest": True}, format="json").status_code == 403


@pytest.mark.parametrize("persona", ALL)
def test_the_review_due_list_is_the_callers_own(personas, login, plans, persona):
    response = login(_user(personas, plans, persona), api=True).get(f"{PLANS}review-due/")
    if persona not in LISTED:
        assert response.status_code == 403
        return
    expected = [plans["signed"].pk] if persona == "therapist" else []
    assert [row["id"] for row in response.json()["results"]] == expected
    if expected:
        assert response.json()["results"][0]["review_due"] is True
