"""Who treats a patient, and so reads their chart and notes: their primary therapist and whoever has a session
with them that was not cancelled in time."""

import pytest

from apps.patients.selectors import TREATING_STATUSES
from apps.scheduling.models import AppointmentStatus
from apps.scheduling.services import appointment_cancel
from tests.factories import appointment_ahead

pytestmark = pytest.mark.django_db


def _with_other_therapist(personas, **fields):
    return appointment_ahead(therapist=personas.other_therapist, patient=personas.patient, **fields)


def test_a_session_cancelled_in_time_makes_nobody_the_patients_therapist(personas, login, record):
    wrong = _with_other_therapist(personas)
    api = login(personas.other_therapist, api=True)
    assert api.get(f"/api/notes/{record['signed'].pk}/").status_code == 200

    appointment_cancel(appointment=wrong, actor=personas.front_desk, reason="Booked with the wrong therapist")

    assert api.get(f"/api/notes/{record['signed'].pk}/").status_code == 404
    assert api.get(f"/api/patients/{personas.patient.pk}/").status_code == 404
    assert login(personas.other_therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").status_code == 404


@pytest.mark.parametrize("status", [AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW])
def test_a_late_cancellation_or_a_no_show_keeps_the_therapist_treating(personas, login, record, status):
    _with_other_therapist(personas, status=status)
    api = login(personas.other_therapist, api=True)
    assert api.get(f"/api/notes/{record['signed'].pk}/").status_code == 200


def test_every_status_but_a_timely_cancellation_treats():
    assert set(TREATING_STATUSES) == set(AppointmentStatus.values) - {AppointmentStatus.CANCELLED}
