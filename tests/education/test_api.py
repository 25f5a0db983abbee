"""The education API: the library, a patient's material with progress, and the patient's own actions. Refusals are
clear 4xx answers: another therapist's patient 404 (as a missing one), the front desk 403, a duplicate open
assignment 409, a retired item 422."""

import pytest

from apps.audit.models import AccessLog
from apps.education import services
from apps.education.models import Assignment

from .conftest import upload

pytestmark = pytest.mark.django_db


def test_therapists_list_the_library_and_add_to_it(personas, login, reading):
    desk = login(personas.front_desk, api=True)
    assert desk.get("/api/education/items/").status_code == 403
    assert (
        desk.post("/api/education/items/", {"title": "X", "kind": "journaling_prompt"}, format="json").status_code
        == 403
    )
    therapist = login(personas.therapist, api=True)
    assert [i["title"] for i in therapist.get("/api/education/items/").json()["results"]] == [reading.title]
    created = therapist.post(
        "/api/education/items/", {"title": "Chapter", "kind": "reading", "file": upload()}, format="multipart"
    )
    assert created.status_code == 201 and created.json()["has_file"] and created.json()["kind_label"] == "Reading"
    bad = therapist.post("/api/education/items/", {"title": "Bare", "kind": "recording"}, format="json")
    assert bad.status_code == 400 and "needs a link or a file" in bad.json()["error"]["message"]
    retired = therapist.post(f"/api/education/items/{reading.pk}/retire/")
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert therapist.post(f"/api/education/items/{reading.pk}/retire/").status_code == 409


def test_patients_do_not_read_the_staff_library(personas, login, reading):
    assert login(personas.patient_user, api=True).get("/api/education/items/").status_code == 403


def test_a_therapist_assigns_and_reads_progress(personas, login, prompt):
    client = login(personas.therapist, api=True)
    url = f"/api/patients/{personas.patient.pk}/education/"
    created = client.post(url, {"item": prompt.pk, "note": "When you are ready."}, format="json")
    assert created.status_code == 201
    assert created.json()["item"]["title"] == prompt.title and created.json()["is_done"] is False
    assignment = Assignment.objects.get(pk=created.json()["id"])
    services.prompt_entry_write(actor=personas.patient_user, assignment=assignment, text="The pain began in May.")
    rows = client.get(url).json()
    assert [(r["id"], r["entry_count"]) for r in rows] == [(assignment.pk, 1)]
    assert "note" not in rows[0] and "May" not in str(rows)


def test_assigning_refusals_are_clear(personas, login, reading):
    url = f"/api/patients/{personas.patient.pk}/education/"
    other = login(personas.other_therapist, api=True).post(url, {"item": reading.pk}, format="json")
    assert other.status_code == 404
    assert login(personas.front_desk, api=True).get(url).status_code == 403
    client = login(personas.therapist, api=True)
    assert client.post(url, {"item": reading.pk}, format="json").status_code == 201
    duplicate = client.post(url, {"item": reading.pk}, format="json")
    assert duplicate.status_code == 409 and "already has this item" in duplicate.json()["error"]["message"]
    assert client.post(url, {"item": 999999}, format="json").status_code == 404
    assert client.post(url, {"item": "x"}, format="json").status_code == 400
    assert client.post("/api/patients/999999/education/", {"item": reading.pk}, format="json").status_code == 404
    services.library_item_retire(actor=personas.admin, item=reading)
    services.assignment_withdraw(actor=personas.therapist, assignment=Assignment.objects.get())
    retired = client.post(url, {"item": reading.pk}, format="json")
    assert retired.status_code == 422 and "retired" in retired.json()["error"]["message"]


def test_the_patient_marks_done_and_writes_entries_through_the_api(personas, login, shared_prompt, shared_reading):
    client = login(personas.patient_user, api=True)
    listed = client.get("/api/education/assignments/").json()["results"]
    assert {row["id"] for row in listed} == {shared_prompt.pk, shared_reading.pk}
    done = client.post(f"/api/education/assignments/{shared_reading.pk}/done/")
    assert done.status_code == 200 and done.json()["is_done"] is True
    assert client.post(f"/api/education/assignments/{shared_reading.pk}/done/").status_code == 409
    assert client.post(f"/api/education/assignments/{shared_reading.pk}/undo/").json()["is_done"] is False
    written = client.post(f"/api/education/assignments/{shared_prompt.pk}/entries/", {"text": "Words."}, format="json")
    assert written.status_code == 201 and written.json()["text"] == "Words."
    on_reading = client.post(
        f"/api/education/assignments/{shared_reading.pk}/entries/", {"text": "Words."}, format="json"
    )
    assert on_reading.status_code == 422
    assert client.post(f"/api/education/assignments/{shared_prompt.pk}/entries/", {"text": ""}).status_code == 400
    assert [e["text"] for e in client.get(f"/api/education/assignments/{shared_prompt.pk}/entries/").json()] == [
        "Words."
    ]


def test_entries_through_the_api_are_for_the_patient_and_treating_therapist_only(personas, login, shared_prompt):
    services.prompt_entry_write(actor=personas.patient_user, assignment=shared_prompt, text="Private words.")
    url = f"/api/education/assignments/{shared_prompt.pk}/entries/"
    for outsider in (personas.other_patient_user, personas.other_therapist, personas.front_desk, personas.billing):
        assert login(outsider, api=True).get(url).status_code == 404
    read = login(personas.therapist, api=True).get(url)
    assert read.status_code == 200 and read.json()[0]["text"] == "Private words."
    assert (
        AccessLog.objects.filter(action="education_journal_view", allowed=True, actor=personas.therapist).count() == 1
    )
    assert login(personas.therapist, api=True).post(url, {"text": "For them."}, format="json").status_code == 403
    assert login(personas.therapist, api=True).get("/api/education/assignments/").status_code == 403


def test_a_therapist_withdraws_through_the_api(personas, login, shared_reading):
    url = f"/api/education/assignments/{shared_reading.pk}/withdraw/"
    assert login(personas.patient_user, api=True).post(url).status_code == 403
    withdrawn = login(personas.therapist, api=True).post(url)
    assert withdrawn.status_code == 200 and withdrawn.json()["is_open"] is False
