import io

import pytest

from apps.ladder.models import CareLevel, CareLevelMove, PatientCareLevel

pytestmark = pytest.mark.django_db


def test_the_demo_places_patients_once_with_chained_histories():
    from apps.accounts import demo as accounts_demo
    from apps.ladder import demo
    from apps.patients import demo as patients_demo
    from apps.scheduling import demo as scheduling_demo

    out = io.StringIO()
    for module in (accounts_demo, scheduling_demo, patients_demo, demo, demo):
        module.seed(out)

    assert PatientCareLevel.objects.count() == 35  # every seventh of the 40 is left not placed
    portal = PatientCareLevel.objects.get(patient__email="patient01@clinic.test")
    assert portal.level == CareLevel.LECTURE_SERIES
    levels = set(PatientCareLevel.objects.values_list("level", flat=True))
    assert levels == set(CareLevel.values)
    assert CareLevelMove.objects.filter(from_level="").count() == 35
