"""A session is printed at its location's local time, wherever the page is rendered, and the kept zones follow a
location's change at once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from apps.scheduling.models import Location
from apps.scheduling.zones import location_zone
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def west():
    return Location.objects.create(name="West office", time_zone="America/Los_Angeles")


def test_a_session_prints_at_its_locations_local_time_on_a_page_in_the_clinics_zone(west):
    start = dt.datetime(2027, 3, 1, 18, 0, tzinfo=dt.UTC)  # 13:00 in New York, 10:00 in Los Angeles
    session = AppointmentFactory(start=start, end=start + dt.timedelta(minutes=45), location=west)
    rendered = Template('{{ s.local_start|date:"H:i T" }}|{{ s.start|date:"H:i" }}').render(Context({"s": session}))
    assert rendered == "10:00 PST|13:00"
    assert session.zone_differs


def test_a_session_at_the_main_office_is_in_the_clinics_zone():
    session = AppointmentFactory()
    assert session.location.is_main
    assert session.zone.key == "America/New_York"
    assert not session.zone_differs


def test_the_zones_of_many_sessions_cost_no_query_once_kept(west):
    sessions = [AppointmentFactory(location=west, start=dt.datetime(2027, 3, d, 18, tzinfo=dt.UTC)) for d in (1, 8)]
    location_zone(west.pk)
    with CaptureQueriesContext(connection) as captured:
        zones = {s.zone for s in sessions}
    assert zones == {LOS_ANGELES}
    assert len(captured) == 0


def test_a_changed_zone_is_seen_at_once(west):
    assert location_zone(west.pk) == LOS_ANGELES
    west.time_zone = "America/Denver"
    west.save()
    assert location_zone(west.pk) == ZoneInfo("America/Denver")


def test_a_location_made_after_the_zones_were_kept_is_found(west):
    location_zone(west.pk)
    east = Location.objects.create(name="Harbor office", time_zone="America/Halifax")
    assert location_zone(east.pk) == ZoneInfo("America/Halifax")
