"""GET/POST /api/patients/<id>/care-level/: who may read and move, and clear 4xx answers for bad input."""

import pytest

from apps.ladder.models import CareLevel, CareLevelMove
from apps.ladder.services import care_level_set

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return f"/api/patients/{patient.pk}/care-level/"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("therapist", 200),
        ("front_desk", 200),
        ("admin", 200),
        ("patient_user", 200),
        ("billing", 404),
        ("other_therapist", 404),
        ("other_patient_user", 404),
    ],
)
def test_who_may_read_a_patients_care_level(personas, login, who, status):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Group fits", actor=personas.therapist)

    response = login(getattr(personas, who), api=True).get(_url(personas.patient))

    assert response.status_code == status
    if status == 404:
        assert "Group" not in response.content.decode()


def test_staff_read_the_level_next_step_and_history_with_reasons(personas, login):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Group fits", actor=personas.therapist)

    body = login(personas.therapist, api=True).get(_url(personas.patient)).json()

    assert (body["level"], body["level_label"]) == ("group", "Group program")
    assert body["next"]["next_level"] == "individual"
    assert body["next"]["step"] == "Talk to your therapist about moving on to individual therapy."
    assert body["next"]["step_on_chart"] == "Discuss with them moving on to individual therapy."
    [move] = body["history"]
    assert (move["from_level"], move["to_level"], move["reason"]) == ("", "group", "Group fits")


def test_a_patient_reads_their_own_path_without_the_clinicians_reasons(personas, login):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Group fits", actor=personas.therapist)

    body = login(personas.patient_user, api=True).get(_url(personas.patient)).json()

    assert body["history"][0]["reason"] is None
    assert body["level"] == "group"


@pytest.mark.parametrize(("who", "status"), [("therapist", 201), ("front_desk", 201), ("patient_user", 403)])
def test_who_may_move_a_patient(personas, login, who, status):
    response = login(getattr(personas, who), api=True).post(
        _url(personas.patient), {"level": "education", "reason": "Start with the book"}, format="json"
    )

    assert response.status_code == status, response.content
    assert CareLevelMove.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "education"}, "reason"),
        ({"level": "education", "reason": "   "}, "reason"),
        ({"level": "weekly", "reason": "x"}, "level"),
        ({"level": "education", "reason": "x" * 1001}, "reason"),
    ],
)
def test_bad_input_answers_400_naming_the_field(personas, login, body, field):
    response = login(personas.therapist, api=True).post(_url(personas.patient), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not CareLevelMove.objects.exists()


def test_a_move_to_the_current_level_answers_409(personas, login):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="x", actor=personas.therapist)

    response = login(personas.therapist, api=True).post(
        _url(personas.patient), {"level": "group", "reason": "again"}, format="json"
    )

    assert response.status_code == 409
    assert "already at Group program" in response.json()["error"]["message"]


def test_a_patient_that_does_not_exist_answers_404(personas, login):
    response = login(personas.admin, api=True).get("/api/patients/999999999/care-level/")
    assert response.status_code == 404
