import io

import pytest
from django.core.management import call_command

from apps.ladder.models import CareLevel, CareLevelMove, PatientCareLevel
from apps.programs.models import SEATED_STATUSES, Enrollment, ProgramKind
from apps.scheduling.selectors import patient_upcoming

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_clinic():
    call_command("seed_demo", stdout=io.StringIO())


def test_the_demo_places_patients_once_with_chained_histories(demo_clinic):
    from apps.ladder import demo

    demo.seed(io.StringIO())

    assert PatientCareLevel.objects.count() == 35  # every seventh of the 40 is left not placed
    assert CareLevelMove.objects.filter(from_level="").count() == 35
    # Every rung is on some patient's path, so the chart, the portal and the ladder report have each to show.
    assert set(CareLevelMove.objects.values_list("to_level", flat=True)) == set(CareLevel.values)


def test_the_portal_patient_in_weekly_sessions_stands_on_individual_therapy(demo_clinic):
    portal = PatientCareLevel.objects.select_related("patient").get(patient__email="patient01@clinic.test")
    moves = CareLevelMove.objects.filter(patient=portal.patient).order_by("id").values_list("to_level", flat=True)

    assert portal.level == CareLevel.INDIVIDUAL
    assert list(moves) == [CareLevel.EDUCATION, CareLevel.LECTURE_SERIES, CareLevel.INDIVIDUAL]


def test_each_demo_patients_rung_is_the_care_the_demo_gives_them(demo_clinic):
    """What the portal says of a rung ("You are attending a lecture series", "You meet one-to-one with your
    therapist") holds for every placed demo patient."""
    levels = list(PatientCareLevel.objects.select_related("patient").order_by("patient__email"))
    assert {p.level for p in levels} >= {CareLevel.EDUCATION, CareLevel.LECTURE_SERIES, CareLevel.INDIVIDUAL}
    for placed in levels:
        patient = placed.patient
        weekly = any(s.therapist_id == patient.primary_therapist_id for s in patient_upcoming(patient=patient))
        seated = set(
            Enrollment.objects.filter(patient=patient, status__in=SEATED_STATUSES).values_list(
                "program__kind", flat=True
            )
        )
        if placed.level == CareLevel.INDIVIDUAL:
            assert weekly, patient.email
            continue
        assert not weekly, f"{patient.email} sees their therapist weekly but stands on {placed.level}"
        if placed.level == CareLevel.LECTURE_SERIES:
            assert ProgramKind.LECTURE in seated, patient.email
        if placed.level == CareLevel.GROUP:
            assert ProgramKind.GROUP in seated, patient.email
