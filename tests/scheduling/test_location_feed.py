"""A therapist's calendar feed gives each session at its wall-clock time in its location's zone, with the zone's
definition, and says where it is: the office and its address, or Telehealth."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from apps.scheduling import services
from tests.places import pacific_office, pacific_room

from .conftest import MONDAY
from .test_portal_and_feed import _issue_feed

pytestmark = pytest.mark.django_db

PACIFIC = ZoneInfo("America/Los_Angeles")


def _book(clinic, hour: int, **place):
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=dt.datetime.combine(MONDAY, dt.time(hour)).replace(tzinfo=PACIFIC),
        override_reason="Visiting the Pasadena office",
        **place,
    )


def test_a_client_reads_a_pacific_session_at_10_pacific_and_where_it_is(clinic, login, client):
    office = pacific_office()
    in_person = _book(clinic, 10, room=pacific_room(office))
    video = _book(clinic, 13, location=office, is_telehealth=True)

    body = client.get(_issue_feed(login(clinic.therapist))).content
    feed = Calendar.from_ical(body)
    events = {str(e["uid"]).split("@")[0]: e for e in feed.walk("VEVENT")}

    first = events[f"appointment-{in_person.pk}"]
    assert b"DTSTART;TZID=America/Los_Angeles:20260601T100000" in body
    start = first.decoded("dtstart")
    assert (start.hour, start.minute, start.tzinfo.key) == (10, 0, "America/Los_Angeles")
    assert start == in_person.start
    assert str(first["location"]) == "Pasadena office, Sequoia, 200 Colorado Blvd, Pasadena, CA 91101"
    assert str(events[f"appointment-{video.pk}"]["location"]) == "Telehealth"

    # A client without the zone database reads the time through the feed's own VTIMEZONE.
    [definition] = feed.walk("VTIMEZONE")
    assert str(definition["tzid"]) == "America/Los_Angeles"
    described = definition.to_tz()
    assert start.replace(tzinfo=None).replace(tzinfo=described).utcoffset() == dt.timedelta(hours=-7)
