"""Staff read a conversation's times with their clock named, as every other staff page names it."""

import pytest

from apps.core import clock
from apps.core.when import moment_text

pytestmark = pytest.mark.django_db


def test_the_staff_thread_names_the_clock_of_its_times(clinic_thread, personas, login):
    sent = clinic_thread.messages.get().created_at
    body = login(personas.front_desk).get(f"/inbox/{clinic_thread.pk}/").content.decode()
    assert f"{moment_text(clock.in_zone(sent, clock.clinic_tz()))} New York time</time>" in body
