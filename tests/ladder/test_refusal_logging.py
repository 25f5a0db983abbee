"""A care-level move refused with 403 (on the move page or through the API) writes exactly one refused access-log
row naming who tried and the patient, and no allowed row; an allowed move still writes its one allowed row."""

import pytest

from apps.ladder.models import CareLevelMove
from tests.audit.watch import log_mark, row_for, rows_since

pytestmark = pytest.mark.django_db

MOVE = {"level": "education", "reason": "Start with the book"}


def _refused_row(user, patient) -> dict:
    return row_for(user, "care_level_set", patient, patient_id=patient.pk, allowed=False)


@pytest.mark.parametrize("who", ["patient_user", "bodywork_provider"])
def test_a_move_refused_through_the_api_is_logged_once_as_refused(personas, login, bodywork_provider, who):
    user = bodywork_provider if who == "bodywork_provider" else getattr(personas, who)
    client = login(user, api=True)
    mark = log_mark()
    response = client.post(f"/api/patients/{personas.patient.pk}/care-level/", MOVE, format="json")
    assert response.status_code == 403
    assert rows_since(mark) == [_refused_row(user, personas.patient)]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["patient_user", "bodywork_provider"])
def test_a_move_page_refused_with_403_is_logged_once_as_refused(personas, login, bodywork_provider, who, method):
    user = bodywork_provider if who == "bodywork_provider" else getattr(personas, who)
    client = login(user)
    mark = log_mark()
    url = f"/ladder/patients/{personas.patient.pk}/move/"
    response = client.post(url, MOVE) if method == "post" else client.get(url)
    assert response.status_code == 403
    assert rows_since(mark) == [_refused_row(user, personas.patient)]


def test_a_patient_the_user_may_not_see_is_still_logged_once_as_a_refused_view(personas, login):
    user = personas.other_therapist
    client = login(user)
    mark = log_mark()
    assert client.post(f"/ladder/patients/{personas.patient.pk}/move/", MOVE).status_code == 404
    patient = personas.patient
    assert rows_since(mark) == [row_for(user, "care_level_view", patient, patient_id=patient.pk, allowed=False)]


def test_the_treating_psychotherapists_move_writes_its_allowed_row_and_no_refusal(personas, login):
    client = login(personas.therapist)
    mark = log_mark()
    response = client.post(f"/ladder/patients/{personas.patient.pk}/move/", MOVE)
    assert response.status_code == 302
    move = CareLevelMove.objects.get(patient=personas.patient)
    rows = rows_since(mark)
    assert [row for row in rows if not row["allowed"]] == []
    allowed = row_for(personas.therapist, "care_level_set", move, patient_id=personas.patient.pk, allowed=True)
    assert [{**row, "detail": {}} for row in rows if row["action"] == "care_level_set"] == [allowed]
