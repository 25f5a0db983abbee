"""Discharge and the ladder: a discharge takes the patient off their rung (a recorded move to maintenance or
discharged, so the report counts them as having left), the report's sections about now count active patients
only, and a discharged patient is not moved until they are reactivated."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.ladder.models import CareLevel, CareLevelMove, PatientCareLevel
from apps.ladder.reports import ladder_report
from apps.ladder.selectors import care_ladder_read
from apps.ladder.services import care_level_set
from apps.patients.models import Patient, PatientStatus
from apps.patients.services import patient_discharge, patient_reactivate

pytestmark = pytest.mark.django_db


def _tables() -> dict[str, list[list]]:
    today = clock.local_now().date()
    report = ladder_report(start=today - dt.timedelta(days=7), end=today)
    return {table.title.split(",")[0]: table.rows for table in report.tables}


def _rung_counts() -> dict[str, int]:
    return dict(_tables()["People at each rung now"])


def test_a_discharge_from_a_rung_is_a_recorded_move_to_maintenance(personas):
    patient = personas.patient
    care_level_set(patient=patient, level=CareLevel.GROUP, reason="Group fits", actor=personas.therapist)

    patient_discharge(actor=personas.front_desk, patient=patient)

    assert PatientCareLevel.objects.get(patient=patient).level == CareLevel.MAINTENANCE
    newest = care_ladder_read(patient=patient).moves[0]
    assert (newest.from_level, newest.to_level, newest.moved_by, newest.reason) == (
        CareLevel.GROUP,
        CareLevel.MAINTENANCE,
        personas.front_desk,
        "Discharged from care.",
    )


def test_the_report_counts_a_discharge_from_a_rung_as_having_left_it(personas):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="x", actor=personas.admin)
    care_level_set(patient=personas.other_patient, level=CareLevel.GROUP, reason="x", actor=personas.admin)

    patient_discharge(actor=personas.front_desk, patient=personas.patient)

    tables = _tables()
    assert tables["Waiting for the next rung"][2][:2] == ["Group program", 1]
    assert tables["Left without reaching the next rung"][2] == ["Group program", 1]
    # Each rung and "Not placed yet" count the same people: patients in care.
    assert _rung_counts() == {
        "Not placed yet": 0,
        "Education": 0,
        "Lecture series": 0,
        "Group program": 1,
        "Individual therapy": 0,
        "Maintenance or discharged": 0,
    }


def test_a_patient_discharged_on_a_rung_before_this_was_recorded_is_not_counted_as_waiting(personas):
    # A discharge that left no move behind (written before discharges took patients off their rung).
    care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="x", actor=personas.admin)
    Patient.objects.filter(pk=personas.patient.pk).update(
        status=PatientStatus.DISCHARGED, discharged_on=clock.local_now().date()
    )

    assert _tables()["Waiting for the next rung"][0] == ["Education", 0, "—", "—"]
    assert _rung_counts()["Education"] == 0


def test_a_patient_not_placed_stays_not_placed_when_discharged(personas):
    patient_discharge(actor=personas.front_desk, patient=personas.patient)

    assert not CareLevelMove.objects.filter(patient=personas.patient).exists()
    assert _rung_counts()["Not placed yet"] == 1  # the other patient, still in care


@pytest.fixture
def discharged(personas):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="x", actor=personas.therapist)
    return patient_discharge(actor=personas.front_desk, patient=personas.patient)


def test_a_discharged_patient_is_not_moved_up_the_ladder(personas, login, discharged):
    moves = CareLevelMove.objects.filter(patient=personas.patient).count()
    with pytest.raises(InvalidTransition, match="discharged"):
        care_level_set(patient=discharged, level=CareLevel.INDIVIDUAL, reason="Ready", actor=personas.therapist)
    api = login(personas.front_desk, api=True).post(
        f"/api/patients/{discharged.pk}/care-level/", {"level": "individual", "reason": "Ready"}
    )
    page = login(personas.therapist).post(
        f"/ladder/patients/{discharged.pk}/move/", {"level": "individual", "reason": "Ready"}
    )

    assert api.status_code == 409 and "discharged" in api.json()["error"]["message"]
    assert page.status_code == 409 and "discharged" in page.content.decode()
    assert CareLevelMove.objects.filter(patient=personas.patient).count() == moves


def test_the_chart_card_offers_no_move_for_a_discharged_patient(personas, login, discharged):
    content = login(personas.front_desk).get(f"/patients/{discharged.pk}/").content.decode()

    assert "Care level" in content
    assert f"/ladder/patients/{discharged.pk}/move/" not in content


def test_a_reactivated_patient_moves_on_from_maintenance(personas, discharged):
    patient = patient_reactivate(actor=personas.front_desk, patient=discharged)

    move = care_level_set(patient=patient, level=CareLevel.GROUP, reason="Back", actor=personas.therapist)

    assert (move.from_level, move.to_level) == (CareLevel.MAINTENANCE, CareLevel.GROUP)
