"""Locations: a known zone for each, rooms that stay at theirs, a therapist in one place at a time, sessions timed
in their location's zone, the calendar filtered to one location, and who may manage them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.scheduling import locations, services
from apps.scheduling.forms import LocationForm
from apps.scheduling.models import Appointment, Location, LocationHours, Room, WorkingHours
from tests.factories import PatientFactory, TherapistFactory
from tests.locking import at_once

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def west(clinic):
    """The West office in Los Angeles with one room; the clinic (and its main office) is in New York."""
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles", city="Santa Monica")
    west.redwood = Room.objects.create(name="Redwood", location=west)
    return west


@pytest.fixture
def west_therapist(west):
    """A therapist who works only at the West office, weekdays 08:00-18:00 Pacific."""
    therapist = TherapistFactory(first_name="Wes", last_name="Coast")
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=therapist, location=west, weekday=weekday, start_time=dt.time(8), end_time=dt.time(18)
        )
    return therapist


def _constraint(exc: IntegrityError) -> str:
    return exc.__cause__.diag.constraint_name


# ---------------------------------------------------------------------------------------------------------------
# A known zone


@pytest.mark.parametrize(("zone", "message"), [(None, "required"), ("", "not a valid choice"), ("Mars/Olympus", "")])
def test_a_location_without_a_known_zone_is_refused_by_the_api_with_a_field_message(clinic, login, zone, message):
    client = login(clinic.admin, api=True)
    body = {"name": "Uptown"} | ({} if zone is None else {"time_zone": zone})
    response = client.post("/api/locations/", body, format="json")
    assert response.status_code == 400, response.content
    assert "time_zone" in response.json()["error"]["fields"]
    assert not Location.objects.filter(name="Uptown").exists()


@pytest.mark.parametrize("zone", ["", "Mars/Olympus"])
def test_the_location_form_refuses_a_missing_or_unknown_zone(clinic, login, zone):
    form = LocationForm(data={"name": "Uptown", "time_zone": zone, "place_of_service": "11", "is_active": True})
    assert not form.is_valid() and "time_zone" in form.errors
    response = login(clinic.admin).post("/schedule/locations/new/", {"name": "Uptown", "time_zone": zone})
    assert response.status_code == 422 and response.context["form"].errors["time_zone"]
    assert not Location.objects.filter(name="Uptown").exists()


@pytest.mark.parametrize("zone", ["", "Mars/Olympus"])
def test_the_database_refuses_a_location_without_a_known_zone(clinic, zone):
    # The trigger answers first (an empty zone is no zone Postgres knows); the check constraint stands behind it.
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Location.objects.create(name="Uptown", time_zone=zone)
    assert _constraint(refused.value) == "location_time_zone_known"


def test_an_admin_adds_a_location_through_the_api_and_reads_it_back(clinic, login):
    client = login(clinic.admin, api=True)
    response = client.post(
        "/api/locations/", {"name": "Uptown", "time_zone": "America/Chicago", "city": "Chicago"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["time_zone"] == "America/Chicago" and response.json()["is_main"] is False
    hours = client.post(
        "/api/location-hours/",
        {"location": response.json()["id"], "weekday": 0, "opens": "08:00", "closes": "18:00"},
        format="json",
    )
    assert hours.status_code == 201, hours.content
    overlapping = client.post(
        "/api/location-hours/",
        {"location": response.json()["id"], "weekday": 0, "opens": "17:00", "closes": "19:00"},
        format="json",
    )
    assert overlapping.status_code == 422 and "overlapping" in overlapping.json()["error"]["message"]


# ---------------------------------------------------------------------------------------------------------------
# Rooms stay at their location


def test_a_session_at_another_locations_room_is_refused_by_the_service(clinic, west):
    with pytest.raises(Unprocessable) as refused:
        services.appointment_book(
            actor=clinic.front_desk,
            therapist=clinic.therapist,
            patient=clinic.patient,
            service_type=clinic.individual,
            start=at(MONDAY, 10),
            room=clinic.willow,
            location=west,
        )
    assert refused.value.message == "Willow is a room at Main office, not at West office."
    assert refused.value.fields == {"room": ["Choose a room at West office."]}


def test_a_session_at_another_locations_room_is_a_422_with_a_field_message_in_the_api(clinic, login, west):
    body = {
        "therapist": clinic.therapist.pk,
        "patient": clinic.patient.pk,
        "service_type": clinic.individual.pk,
        "room": clinic.willow.pk,
        "location": west.pk,
        "start": at(MONDAY, 12).isoformat(),
    }
    response = login(clinic.front_desk, api=True).post("/api/appointments/", body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"room": ["Choose a room at West office."]}


def test_the_booking_form_refuses_a_room_of_another_location(clinic, login, west):
    form = {
        "therapist": clinic.therapist.pk,
        "patient": clinic.patient.pk,
        "service_type": clinic.individual.pk,
        "location": west.pk,
        "room": clinic.willow.pk,
        "date": MONDAY.isoformat(),
        "time": "12:00",
    }
    response = login(clinic.front_desk).post("/schedule/appointments/new/", form)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["room"] == ["Choose a room at West office."]
    assert errors["__all__"] == ["Willow is a room at Main office, not at West office."]
    assert not Appointment.objects.exists()


def test_the_database_refuses_a_session_at_another_locations_room(session, west):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Appointment.objects.filter(pk=session.pk).update(room=west.redwood)
    assert _constraint(refused.value) == "appointment_room_at_its_location"


def test_a_room_with_sessions_cannot_move_to_another_location(clinic, login, session, west):
    response = login(clinic.admin, api=True).patch(
        f"/api/rooms/{clinic.willow.pk}/", {"location": west.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"location": ["Fixed once sessions are booked in the room."]}
    moved = login(clinic.admin, api=True).patch(f"/api/rooms/{clinic.cedar.pk}/", {"location": west.pk}, format="json")
    assert moved.status_code == 200 and Room.objects.get(pk=clinic.cedar.pk).location == west


# ---------------------------------------------------------------------------------------------------------------
# One place at a time


def test_a_therapist_booked_at_two_locations_at_once_is_a_409_naming_the_other_location(clinic, login, session, west):
    # 07:00 in Los Angeles is 10:00 in New York, when the therapist is with a patient at the main office.
    body = {
        "therapist": clinic.therapist.pk,
        "patient": clinic.other_patient.pk,
        "service_type": clinic.individual.pk,
        "room": west.redwood.pk,
        "start": clock.local_datetime(MONDAY, dt.time(7), LA).isoformat(),
        "override_reason": "Covering the West office",
    }
    response = login(clinic.front_desk, api=True).post("/api/appointments/", body, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert "already has a session at Main office" in error["message"]
    assert error["conflicting_appointment"]["location"] == "Main office"


@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_one_therapist_at_two_locations_racing_give_one_session(clinic, west):
    def book(patient, room, zone, hour):
        return lambda: services.appointment_book(
            actor=clinic.front_desk,
            therapist=clinic.therapist,
            patient=patient,
            service_type=clinic.individual,
            start=clock.local_datetime(MONDAY, dt.time(hour), zone),
            room=room,
            override_reason="Covering",
        )

    outcomes = at_once(
        book(clinic.patient, clinic.willow, clock.clinic_tz(), 10),
        book(clinic.other_patient, west.redwood, LA, 7),
    )
    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert Appointment.objects.filter(therapist=clinic.therapist).count() == 1


def test_working_hours_overlapping_in_real_time_at_another_zone_are_refused_naming_both(clinic, west):
    therapist = TherapistFactory()
    services.working_hours_save(
        actor=clinic.admin, therapist=therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    with pytest.raises(Unprocessable) as refused:
        # 07:00-08:30 Pacific is 10:00-11:30 Eastern.
        services.working_hours_save(
            actor=clinic.admin,
            therapist=therapist,
            location=west,
            weekday=0,
            start_time=dt.time(7),
            end_time=dt.time(8, 30),
        )
    assert refused.value.message == (
        "Monday 7:00 AM–8:30 AM at West office (Pacific time) overlaps Monday 9:00 AM–12:00 PM at Main office "
        "(Eastern time) in real time: a therapist is in one place at a time."
    )
    assert refused.value.fields == {"start_time": ["Overlaps Monday 9:00 AM–12:00 PM at Main office (Eastern time)."]}
    later = services.working_hours_save(
        actor=clinic.admin, therapist=therapist, location=west, weekday=0, start_time=dt.time(12), end_time=dt.time(14)
    )
    assert later.location == west


def test_working_hours_are_at_the_therapists_office_unless_a_location_is_named(clinic, login, west_therapist):
    client = login(clinic.front_desk, api=True)
    response = client.post(
        "/api/working-hours/",
        {"therapist": west_therapist.pk, "weekday": 5, "start_time": "09:00", "end_time": "12:00"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["location"] == Location.objects.get(name="West office").pk


# ---------------------------------------------------------------------------------------------------------------
# Timed in the location's zone


def test_a_weekly_series_in_los_angeles_keeps_ten_oclock_there_across_both_dst_changes(clinic, west_therapist):
    west = Location.objects.get(name="West office")
    # From October to March: Pacific time ends on the first Sunday of November and starts on the second of March.
    with time_machine.travel(dt.datetime(2026, 10, 2, 12, tzinfo=LA), tick=False):
        result = services.series_book(
            actor=clinic.front_desk,
            therapist=west_therapist,
            patient=PatientFactory(),
            service_type=clinic.individual,
            first_date=dt.date(2026, 10, 19),
            local_start_time=dt.time(10),
            occurrence_count=24,
            room=Room.objects.get(name="Redwood"),
        )
    starts = [a.start for a in result.booked]
    assert len(starts) == 24 and result.series.location == west
    assert {s.astimezone(LA).time() for s in starts} == {dt.time(10)}
    utc_hours = [s.astimezone(dt.UTC).hour for s in starts]
    assert utc_hours[0] == 17 and utc_hours[3] == 18 and utc_hours[-1] == 17  # PDT, then PST, then PDT again
    assert all(a.local_start.hour == 10 for a in result.booked)


def test_a_telehealth_session_of_a_therapist_at_the_la_office_is_timed_in_la(clinic, login, west_therapist):
    start = clock.local_datetime(MONDAY, dt.time(9), LA)
    body = {
        "therapist": west_therapist.pk,
        "patient": clinic.patient.pk,
        "service_type": clinic.individual.pk,
        "is_telehealth": True,
        "start": start.isoformat(),
    }
    response = login(clinic.front_desk, api=True).post("/api/appointments/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["location"]["name"] == "West office" and data["location"]["time_zone"] == "America/Los_Angeles"
    assert data["local_start"] == "2026-06-01T09:00:00-07:00"
    assert Appointment.objects.get(pk=data["id"]).local_start.hour == 9


def test_the_booking_form_reads_the_time_in_the_locations_zone(clinic, login, west_therapist):
    form = {
        "therapist": west_therapist.pk,
        "patient": clinic.patient.pk,
        "service_type": clinic.individual.pk,
        "room": Room.objects.get(name="Redwood").pk,
        "date": MONDAY.isoformat(),
        "time": "09:00",
    }
    response = login(clinic.front_desk).post("/schedule/appointments/new/", form)
    assert response.status_code == 302, response.context["form"].errors
    assert Appointment.objects.get().start == clock.local_datetime(MONDAY, dt.time(9), LA)


# ---------------------------------------------------------------------------------------------------------------
# The calendar filtered to one location


def _west_sessions(clinic, therapist, count: int) -> list[Appointment]:
    room = Room.objects.get(name="Redwood")
    return [
        services.appointment_book(
            actor=clinic.front_desk,
            therapist=therapist,
            patient=PatientFactory(),
            service_type=clinic.individual,
            start=clock.local_datetime(MONDAY, dt.time(9 + 2 * n), LA),
            room=room,
        )
        for n in range(count)
    ]


def _events(client, location=None):
    params = {"start": MONDAY.isoformat(), "end": (MONDAY + dt.timedelta(days=7)).isoformat()}
    if location is not None:
        params["location"] = location.pk
    return client.get("/schedule/events/", params)


def test_the_calendar_filtered_to_a_location_shows_only_its_sessions_in_its_zone(
    clinic, login, session, west_therapist
):
    west = Location.objects.get(name="West office")
    [there] = _west_sessions(clinic, west_therapist, 1)
    client = login(clinic.front_desk)
    events = [e for e in _events(client, west).json() if "id" in e]
    assert [e["id"] for e in events] == [there.pk]
    assert events[0]["start"] == "2026-06-01T09:00:00" and events[0]["extendedProps"]["location"] == "West office"
    everywhere = {e["id"]: e["start"] for e in _events(client).json() if "id" in e}
    assert everywhere == {session.pk: "2026-06-01T10:00:00", there.pk: "2026-06-01T12:00:00"}  # clinic time

    page = client.get("/schedule/", {"location": west.pk})
    assert [r.name for r in page.context["rooms"]] == ["Redwood"]
    assert set(page.context["working_hours"]) == {west_therapist.pk}  # only hours at the West office shade it
    # Named by its place, not its abbreviation: a week can straddle the change between PDT and PST.
    assert b"times are West office time, as in Los Angeles." in page.content
    assert b"America/Los_Angeles" not in page.content
    assert b"Times are clinic time, as in New York." in client.get("/schedule/").content


def _shaded(client, **params) -> tuple[dict, str, str]:
    page = client.get("/schedule/", params)
    return page.context["working_hours"], page.context["grid_from"], page.context["grid_to"]


def test_an_offices_hours_shade_the_clinics_grid_at_the_clinics_time(clinic, login, west_therapist):
    """08:00-18:00 Pacific is 11:00-21:00 on the clinic's New York grid, the same hours on the West office's own."""
    west = Location.objects.get(name="West office")
    client = login(clinic.front_desk)
    everywhere, _, grid_to = _shaded(client, date=MONDAY.isoformat())
    assert {"daysOfWeek": [1], "startTime": "11:00", "endTime": "21:00"} in everywhere[west_therapist.pk]
    assert grid_to == "21:00:00"
    there, _, _ = _shaded(client, date=MONDAY.isoformat(), location=west.pk)
    assert there[west_therapist.pk][0] == {"daysOfWeek": [1], "startTime": "08:00", "endTime": "18:00"}


def test_hours_the_clocks_difference_carries_past_midnight_are_split_in_two_days(clinic, login, west_therapist):
    west = Location.objects.get(name="West office")
    WorkingHours.objects.create(
        therapist=west_therapist, location=west, weekday=5, start_time=dt.time(19), end_time=dt.time(23)
    )
    everywhere, _, grid_to = _shaded(login(clinic.front_desk), date=MONDAY.isoformat())
    saturday_evening = [
        {"daysOfWeek": [6], "startTime": "22:00", "endTime": "24:00"},
        {"daysOfWeek": [0], "startTime": "00:00", "endTime": "02:00"},
    ]
    assert all(piece in everywhere[west_therapist.pk] for piece in saturday_evening)
    assert grid_to == "24:00:00"


def test_a_click_on_the_clinics_grid_opens_the_form_at_the_therapists_office_at_its_time(clinic, login, west_therapist):
    """13:00 on the clinic's grid, for a therapist at the West office that day, is 10:00 there; with the West
    office's own grid (location given) or a therapist at the main office, the click is taken as it is."""
    west = Location.objects.get(name="West office")
    client = login(clinic.front_desk)
    url = "/schedule/appointments/new/"
    for page in (url, "/schedule/series/new/"):
        form = client.get(page, {"start": "2026-06-02T13:00", "therapist": west_therapist.pk}).context["form"]
        assert (form["location"].value(), form.initial.get("time")) == (west.pk, dt.time(10, 0))
    form = client.get(url, {"start": "2026-06-02T13:00", "therapist": west_therapist.pk, "location": west.pk})
    assert form.context["form"].initial["time"] == dt.time(13, 0)
    form = client.get(url, {"start": "2026-06-02T13:00", "therapist": clinic.therapist.pk}).context["form"]
    assert (form["location"].value(), form.initial["time"]) == (None, dt.time(13, 0))


def test_the_filtered_calendar_feed_takes_as_many_queries_for_one_session_as_for_five(clinic, login, west_therapist):
    west = Location.objects.get(name="West office")
    client = login(clinic.front_desk)
    _west_sessions(clinic, west_therapist, 1)
    _events(client, west)  # warm the session and the login
    with CaptureQueriesContext(connection) as one:
        assert len(_events(client, west).json()) == 1
    _west_sessions_more = [
        services.appointment_book(
            actor=clinic.front_desk,
            therapist=west_therapist,
            patient=PatientFactory(),
            service_type=clinic.individual,
            start=clock.local_datetime(MONDAY + dt.timedelta(days=d), dt.time(9), LA),
            room=Room.objects.get(name="Redwood"),
        )
        for d in range(1, 5)
    ]
    with CaptureQueriesContext(connection) as five:
        assert len(_events(client, west).json()) == 1 + len(_west_sessions_more)
    assert len(five) == len(one)


def test_the_front_desk_day_at_one_location_lists_only_its_arrivals(clinic, login, west_therapist):
    west = Location.objects.get(name="West office")
    today = clock.local_now().date()
    start = clock.local_datetime(today, dt.time(15), LA)  # the clinic stands at 09:00 Eastern: still to come
    there = services.appointment_book(
        actor=clinic.front_desk,
        therapist=west_therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=start,
        room=Room.objects.get(name="Redwood"),
    )
    here = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=clock.local_datetime(today, dt.time(14)),
        room=clinic.willow,
    )
    client = login(clinic.front_desk)
    page = client.get("/", {"location": west.pk})
    day = page.context["day"]
    assert [a.pk for a in day.arrivals] == [there.pk] and day.zone.key == "America/Los_Angeles"
    # The zone by its place, as the calendar says it.
    assert b"times are West office time, as in Los Angeles." in page.content
    assert b"America/Los_Angeles" not in page.content
    everywhere = client.get("/")
    assert {a.pk for a in everywhere.context["day"].arrivals} == {here.pk, there.pk}
    # Every office's sessions on the clinic's clock; one elsewhere names its office and its own time on its clock.
    content = everywhere.content.decode()
    assert "Redwood, West office · 3:00 PM Los Angeles time</span>" in content
    assert "Willow, Main office</span>" in content and content.count(" time</span>") == 1


# ---------------------------------------------------------------------------------------------------------------
# Managing locations


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [("admin", 200, 201), ("front_desk", 200, 403), ("therapist", 200, 403), ("patient_user", 403, 403)],
)
def test_who_may_read_and_manage_locations_through_the_api(clinic, login, who, read, write):
    client = login(getattr(clinic, who), api=True)
    assert client.get("/api/locations/").status_code == read
    response = client.post("/api/locations/", {"name": "Uptown", "time_zone": "America/Chicago"}, format="json")
    assert response.status_code == write
    assert Location.objects.filter(name="Uptown").exists() == (write == 201)


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [("admin", 200, 302), ("front_desk", 200, 403), ("therapist", 200, 403), ("patient_user", 403, 403)],
)
def test_who_may_read_and_manage_locations_on_the_pages(clinic, login, who, read, write):
    client = login(getattr(clinic, who))
    assert client.get("/schedule/locations/").status_code == read
    main = Location.main()
    assert client.get(f"/schedule/locations/{main.pk}/").status_code == read
    response = client.post(
        "/schedule/locations/new/", {"name": "Uptown", "time_zone": "America/Chicago", "place_of_service": "11"}
    )
    assert response.status_code == write
    hours = client.post(
        f"/schedule/locations/{main.pk}/",
        {"kind": "hours", "hours-weekday": 0, "hours-opens": "08:00", "hours-closes": "18:00"},
    )
    assert hours.status_code == (302 if write == 302 else 403)
    assert main.hours.exists() == (write == 302)


def test_a_locations_zone_is_fixed_once_sessions_are_booked_there(clinic, session):
    with pytest.raises(Conflict) as refused:
        locations.location_save(actor=clinic.admin, location=Location.main(), time_zone="America/Chicago")
    assert refused.value.fields == {"time_zone": ["Fixed once sessions are booked at this location."]}
    assert refused.value.message == (
        f"Sessions at {Location.main().name} are timed in Eastern time; its zone cannot change under them."
    )
    assert Location.main().time_zone == "America/New_York"


def test_a_location_with_coming_sessions_or_the_main_one_stays_open(clinic, login, west_therapist):
    west = Location.objects.get(name="West office")
    client = login(clinic.admin, api=True)
    main = client.patch(f"/api/locations/{Location.main().pk}/", {"is_active": False}, format="json")
    assert main.status_code == 409 and "main location stays open" in main.json()["error"]["message"]
    [booked] = _west_sessions(clinic, west_therapist, 1)
    refused = client.patch(f"/api/locations/{west.pk}/", {"is_active": False}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == (
        "1 coming session is booked at West office; move or cancel them before closing it."
    )
    services.appointment_cancel(appointment=booked, actor=clinic.admin, reason="Moved away")
    closed = client.patch(f"/api/locations/{west.pk}/", {"is_active": False}, format="json")
    assert closed.status_code == 200 and closed.json()["is_active"] is False


def test_a_session_moved_to_a_room_at_another_location_moves_there_and_keeps_its_local_time_in_the_new_zone(
    clinic, login, session, west
):
    # The therapist, who works weekdays in New York, also works Saturdays at the West office.
    WorkingHours.objects.create(
        therapist=clinic.therapist, location=west, weekday=5, start_time=dt.time(8), end_time=dt.time(18)
    )
    saturday = MONDAY + dt.timedelta(days=5)
    body = {"start": clock.local_datetime(saturday, dt.time(9), LA).isoformat(), "room": west.redwood.pk}
    response = login(clinic.front_desk, api=True).post(
        f"/api/appointments/{session.pk}/reschedule/", body, format="json"
    )
    assert response.status_code == 200, response.content
    [moved] = response.json()
    assert moved["location"]["name"] == "West office" and moved["local_start"] == "2026-06-06T09:00:00-07:00"
    refused = login(clinic.front_desk, api=True).post(
        f"/api/appointments/{session.pk}/reschedule/",
        {"start": body["start"], "room": clinic.willow.pk, "location": west.pk},
        format="json",
    )
    assert refused.status_code == 422 and refused.json()["error"]["fields"] == {
        "room": ["Choose a room at West office."]
    }


def test_the_filtered_calendar_page_and_front_desk_day_do_not_grow_with_rows(clinic, login, west_therapist):
    west = Location.objects.get(name="West office")
    client = login(clinic.front_desk)
    today = clock.local_now().date()

    def counted():
        with CaptureQueriesContext(connection) as page:
            assert client.get("/schedule/", {"location": west.pk}).status_code == 200
        with CaptureQueriesContext(connection) as day:
            assert client.get("/", {"location": west.pk}).status_code == 200
        return len(page), len(day)

    services.appointment_book(
        actor=clinic.front_desk,
        therapist=west_therapist,
        patient=PatientFactory(),
        service_type=clinic.individual,
        start=clock.local_datetime(today, dt.time(13), LA),
        room=Room.objects.get(name="Redwood"),
    )
    counted()  # warm the session
    few = counted()
    for n in range(3):
        Room.objects.create(name=f"Extra {n}", location=west)
        services.appointment_book(
            actor=clinic.front_desk,
            therapist=west_therapist,
            patient=PatientFactory(),
            service_type=clinic.individual,
            start=clock.local_datetime(today, dt.time(14 + n), LA),
            room=Room.objects.get(name=f"Extra {n}"),
        )
    assert counted() == few


def test_the_location_page_shows_a_refused_zone_change_on_the_field(clinic, login, session):
    main = Location.main()
    form = {"kind": "location", "name": main.name, "time_zone": "America/Chicago", "place_of_service": "11"}
    response = login(clinic.admin).post(f"/schedule/locations/{main.pk}/", form | {"is_active": "on"})
    assert response.status_code == 409
    assert response.context["form"].errors["time_zone"] == ["Fixed once sessions are booked at this location."]
    assert Location.main().time_zone == "America/New_York"


def test_weekly_hours_name_an_offices_clock_by_its_place(clinic, login, west_therapist):
    """Hours hold all year, across PDT and PST: the pages say "Los Angeles time", not a season's abbreviation."""
    west = Location.objects.get(name="West office")
    LocationHours.objects.create(location=west, weekday=0, opens=dt.time(8), closes=dt.time(18))
    admin = login(clinic.admin)
    for url in (f"/schedule/availability/{west_therapist.pk}/", f"/schedule/locations/{west.pk}/"):
        body = admin.get(url).content.decode()
        assert "(Los Angeles time)" in body and "America/Los_Angeles time" not in body, url


def test_removing_opening_hours_asks_first_and_only_an_admin_may(clinic, login, west):
    hours = LocationHours.objects.create(location=west, weekday=0, opens=dt.time(8), closes=dt.time(18))
    url = f"/schedule/locations/{west.pk}/hours/{hours.pk}/delete/"
    asked = login(clinic.admin).get(url)
    assert asked.status_code == 200 and b"Remove opening hours?" in asked.content
    assert b"(Los Angeles time)" in asked.content and b"America/Los_Angeles time" not in asked.content
    assert LocationHours.objects.filter(pk=hours.pk).exists()
    assert login(clinic.front_desk).post(url).status_code == 403
    assert LocationHours.objects.filter(pk=hours.pk).exists()
    assert login(clinic.admin).post(url).status_code == 302
    assert not LocationHours.objects.filter(pk=hours.pk).exists()


def test_the_database_refuses_a_zone_change_under_booked_sessions_whatever_path_makes_it(session):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Location.objects.filter(pk=session.location_id).update(time_zone="America/Chicago")
    assert _constraint(refused.value) == "location_zone_fixed_once_booked"
    unbooked = Location.objects.create(name="Uptown", time_zone="America/Chicago")
    Location.objects.filter(pk=unbooked.pk).update(time_zone="America/Denver")  # nothing booked there yet


def test_the_admin_shows_a_locations_zone_and_a_rooms_location_without_letting_them_change(clinic, login, session):
    clinic.admin.is_staff = clinic.admin.is_superuser = True
    clinic.admin.save()
    client = login(clinic.admin)
    location_page = client.get(f"/admin/scheduling/location/{session.location_id}/change/")
    assert location_page.status_code == 200
    assert b'name="time_zone"' not in location_page.content and b"America/New_York" in location_page.content
    room_page = client.get(f"/admin/scheduling/room/{clinic.willow.pk}/change/")
    assert room_page.status_code == 200 and b'name="location"' not in room_page.content


def test_the_locations_pages_name_each_zone_as_people_say_it(clinic, login):
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles")
    client = login(clinic.admin)
    listing = client.get("/schedule/locations/").content.decode()
    assert "Eastern time (New York)" in listing and "Pacific time (Los Angeles)" in listing
    assert "America/Los_Angeles" not in listing
    assert "Pacific time (Los Angeles)" in client.get(f"/schedule/locations/{west.pk}/").content.decode()


def test_the_locations_pages_say_opening_hours_as_the_rest_of_the_staff_pages_say_times(clinic, login):
    """Opening hours read as working hours and sessions do (8:00 AM–8:30 PM), not on a 24-hour clock."""
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles")
    hours = LocationHours.objects.create(location=west, weekday=0, opens=dt.time(8), closes=dt.time(20, 30))
    client = login(clinic.admin)
    for page in (
        "/schedule/locations/",
        f"/schedule/locations/{west.pk}/",
        f"/schedule/locations/{west.pk}/hours/{hours.pk}/delete/",
    ):
        body = client.get(page).content.decode()
        assert "Monday 8:00 AM–8:30 PM" in body, page
        assert "20:30" not in body, page
