"""The clinic's clock set to a moment already passed, as the demo seed records its history through the services."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core import clock


def test_the_clock_reads_the_recorded_moment_inside_and_the_real_time_after():
    moment = timezone.now() - dt.timedelta(days=20)
    with clock.recorded_at(moment):
        assert clock.now() == moment
        assert clock.local_now().date() == timezone.localtime(moment, clock.clinic_tz()).date()
    assert clock.now() - timezone.now() < dt.timedelta(seconds=5)


def test_a_moment_still_to_come_or_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="already passed"), clock.recorded_at(timezone.now() + dt.timedelta(hours=1)):
        pass
    with pytest.raises(ValueError, match="already passed"), clock.recorded_at(dt.datetime(2026, 1, 1, 9, 0)):
        pass
    assert clock.now() - timezone.now() < dt.timedelta(seconds=5)
