"""The session page links a clinician to the patient's clinical chart and the front desk to the patient's details,
each under a name that says which it is."""

import datetime as dt

import pytest

from apps.core import clock
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(personas):
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=1), dt.time(10, 0))
    return AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )


def test_the_treating_therapist_opens_the_clinical_chart(personas, login, session):
    page = login(personas.therapist).get(f"/schedule/appointments/{session.pk}/").content.decode()
    assert f'href="/notes/patients/{personas.patient.pk}/chart/">Open chart</a>' in page


def test_the_front_desk_opens_the_patient_details_under_that_name(personas, login, session):
    page = login(personas.front_desk).get(f"/schedule/appointments/{session.pk}/").content.decode()
    assert f'href="/patients/{personas.patient.pk}/">Patient details</a>' in page
    assert "Open chart" not in page and "/chart/" not in page
