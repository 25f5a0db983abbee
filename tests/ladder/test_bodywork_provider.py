"""A massage and bodywork provider treating the patient sees the patient's rung, but never moves them (placing
someone in psychotherapy is a psychotherapy decision) and never reads why they moved, on the chart card or in
the API. The front desk keeps reading and moving as the ladder's docs say."""

import pytest

from apps.core.errors import PermissionDenied
from apps.ladder.models import CareLevel, CareLevelMove
from apps.ladder.services import care_level_set

pytestmark = pytest.mark.django_db
REASON = "REASON-CANARY grief after her father's death"


@pytest.fixture
def moved(personas):
    return care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason=REASON, actor=personas.therapist)


def test_the_api_answers_the_level_without_reasons(personas, login, bodywork_provider, moved):
    response = login(bodywork_provider, api=True).get(f"/api/patients/{personas.patient.pk}/care-level/")

    assert response.status_code == 200
    body = response.json()
    assert body["level"] == "group"
    assert [move["reason"] for move in body["history"]] == [None]
    assert "REASON-CANARY" not in response.content.decode()


@pytest.mark.parametrize("who", ["front_desk", "admin", "therapist"])
def test_the_desk_and_the_psychotherapist_read_the_reasons_in_the_api(personas, login, moved, who):
    body = login(getattr(personas, who), api=True).get(f"/api/patients/{personas.patient.pk}/care-level/").json()

    assert [move["reason"] for move in body["history"]] == [REASON]


def test_the_chart_card_shows_the_rung_without_the_why_column_or_the_move_form(
    personas, login, bodywork_provider, moved
):
    response = login(bodywork_provider).get(f"/patients/{personas.patient.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Care level" in content and "Group program" in content
    assert "REASON-CANARY" not in content
    assert '<th scope="col">Why</th>' not in content
    assert f"/ladder/patients/{personas.patient.pk}/move/" not in content


@pytest.mark.parametrize("who", ["front_desk", "therapist"])
def test_the_chart_card_shows_the_desk_and_the_psychotherapist_why(personas, login, moved, who):
    content = login(getattr(personas, who)).get(f"/patients/{personas.patient.pk}/").content.decode()

    assert "REASON-CANARY" in content
    assert '<th scope="col">Why</th>' in content


def test_a_bodywork_provider_cannot_move_the_patient(personas, login, bodywork_provider, moved):
    with pytest.raises(PermissionDenied):
        care_level_set(patient=personas.patient, level=CareLevel.INDIVIDUAL, reason="Ready", actor=bodywork_provider)
    api = login(bodywork_provider, api=True).post(
        f"/api/patients/{personas.patient.pk}/care-level/", {"level": "individual", "reason": "Ready"}
    )
    page = login(bodywork_provider).post(
        f"/ladder/patients/{personas.patient.pk}/move/", {"level": "individual", "reason": "Ready"}
    )

    assert (api.status_code, page.status_code) == (403, 403)
    assert CareLevelMove.objects.filter(patient=personas.patient).count() == 1
