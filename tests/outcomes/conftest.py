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
