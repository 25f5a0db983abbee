"""A patient's material refused through the API (their progress, or sharing an item with them) answers as a missing
patient would (404) to someone who may not see the patient, so the answer does not tell that the patient exists, and
403 to staff who see the chart anyway; either writes exactly one refused access-log row naming who tried and the
patient; an allowed lookup writes none (the lookup reads nothing
clinical; sharing is logged by the service, reading entries where they are read)."""

import pytest

from tests.audit.watch import log_mark, row_for, rows_since

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return f"/api/patients/{patient.pk}/education/"


@pytest.mark.parametrize(("persona", "answer"), [("other_therapist", 404), ("front_desk", 403), ("billing", 403)])
@pytest.mark.parametrize(("method", "action"), [("get", "education_progress_view"), ("post", "education_assign")])
def test_a_refused_patient_lookup_is_logged_once_as_refused(personas, login, reading, persona, answer, method, action):
    user = getattr(personas, persona)
    client = login(user, api=True)
    mark = log_mark()
    url = _url(personas.patient)
    response = client.post(url, {"item": reading.pk}, format="json") if method == "post" else client.get(url)
    assert response.status_code == answer
    if answer == 404:
        assert response.json()["error"]["message"] == "No such patient."
    patient = personas.patient
    assert rows_since(mark) == [row_for(user, action, patient, patient_id=patient.pk, allowed=False)]


def test_a_missing_patient_is_not_logged_as_anyones_refusal(personas, login):
    client = login(personas.other_therapist, api=True)
    mark = log_mark()
    assert client.get(f"/api/patients/{personas.patient.pk + 1000}/education/").status_code == 404
    assert rows_since(mark) == []


def test_the_treating_therapists_progress_read_writes_no_row(personas, login, shared_reading):
    client = login(personas.therapist, api=True)
    mark = log_mark()
    assert client.get(_url(personas.patient)).status_code == 200
    assert rows_since(mark) == []
