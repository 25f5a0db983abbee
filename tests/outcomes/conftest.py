import datetime as dt

import pytest

from apps.core import clock
from tests.factories import AppointmentFactory


@pytest.fixture
def tomorrow_session(personas):
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(11, 0))
    return AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )


@pytest.fixture
def answer_all(personas):
    """answer_all() -> the patient's waiting questionnaires count as answered now (the fortnightly and four-weekly
    repeats follow what was answered, not what was sent)."""
    from apps.outcomes.models import QuestionnaireAssignment

    def answer():
        QuestionnaireAssignment.objects.filter(patient=personas.patient, status="pending").update(
            status="completed", completed_at=clock.now()
        )

    return answer
