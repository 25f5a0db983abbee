"""Filters of the measure-responses API: bad values are a 400 or a clear 404, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_patient_filter_that_is_not_an_id_falls_back_to_the_patients_own(personas, login):
    response = login(personas.patient_user, api=True).get("/api/measure-responses/", {"patient": "²"})
    assert response.status_code == 200


def test_staff_asking_for_a_patient_that_is_not_an_id_get_a_404(personas, login):
    response = login(personas.therapist, api=True).get("/api/measure-responses/", {"patient": "²"})
    assert response.status_code == 404


@pytest.mark.parametrize("instrument", ["phq9\x00", "bogus"])
def test_an_unknown_instrument_is_a_validation_error(personas, login, instrument):
    response = login(personas.patient_user, api=True).get("/api/measure-responses/", {"instrument": instrument})
    assert response.status_code == 400
    assert "instrument" in response.json()["error"]["fields"]


def test_a_known_instrument_filters(personas, login):
    response = login(personas.patient_user, api=True).get("/api/measure-responses/", {"instrument": "phq9"})
    assert response.status_code == 200
