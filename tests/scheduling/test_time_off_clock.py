"""Time off is typed on a clock: in a clinic whose offices keep more than one, the clock of the office the therapist
works at unless another is chosen. A time on its first or last day is that time on its clock, for the booking
checks, the pages that list it and the form that changes it; a whole day stays each office's whole day."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.scheduling import selectors, services
from apps.scheduling.availability import slots_check
from apps.scheduling.models import Location, TimeOff, WorkingHours
from tests.places import pacific_office

from .conftest import MONDAY, at
from .test_time_off_zones import _book

pytestmark = pytest.mark.django_db

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
TUESDAY = MONDAY + dt.timedelta(days=1)


def pacific(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute), LOS_ANGELES)


@pytest.fixture
def west(clinic):
    """The therapist works weekdays 09:00-23:30 at the Pasadena office only (Pacific time, three hours behind the
    clinic); the main office, on the clinic's clock, stays open."""
    office = pacific_office()
    WorkingHours.objects.filter(therapist=clinic.therapist).delete()
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=clinic.therapist,
            location=office,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(23, 30),
        )
    return office


def _page(clinic):
    return reverse("scheduling:availability_therapist", args=[clinic.therapist.pk])


def _check(clinic, office, start):
    [slot] = slots_check(
        therapist=clinic.therapist,
        patient_id=None,
        room_id=None,
        spans=[(start, start + dt.timedelta(minutes=45))],
        location=office,
    )
    return slot


def _add_on_the_page(clinic, login, **fields):
    body = {"kind": "time-off", "off-start_date": MONDAY.isoformat(), "off-end_date": MONDAY.isoformat()}
    body |= {f"off-{name}": value for name, value in fields.items()}
    return login(clinic.front_desk).post(_page(clinic), body, follow=True)


# ---------------------------------------------------------------------------------------------------------------
# The form


def test_the_form_offers_each_offices_clock_and_starts_on_the_therapists(clinic, login, west):
    html = login(clinic.front_desk).get(_page(clinic)).content.decode()
    assert 'name="off-time_zone"' in html
    assert "Main office · Eastern time" in html and "Pasadena office · Pacific time" in html
    assert '<option value="America/Los_Angeles" selected>' in html


def test_a_therapist_at_the_main_office_starts_on_the_clinics_clock(clinic, login, west):
    page = reverse("scheduling:availability_therapist", args=[clinic.other_therapist.pk])
    html = login(clinic.front_desk).get(page).content.decode()
    assert f'<option value="{settings.TIME_ZONE}" selected>' in html


def test_one_office_offers_no_clock_and_keeps_the_clinics(clinic, login):
    html = login(clinic.front_desk).get(_page(clinic)).content.decode()
    assert 'name="off-time_zone"' not in html and "Clock" not in html
    _add_on_the_page(clinic, login, start_time="13:00", time_zone="America/Los_Angeles")
    off = TimeOff.objects.get(therapist=clinic.therapist)
    assert (off.time_zone, off.start) == (settings.TIME_ZONE, at(MONDAY, 13))


def test_a_time_typed_on_the_pacific_clock_is_that_time_there(clinic, login, west):
    response = _add_on_the_page(clinic, login, start_time="13:00", time_zone="America/Los_Angeles")
    off = TimeOff.objects.get(therapist=clinic.therapist)
    assert (off.time_zone, off.start, off.end) == ("America/Los_Angeles", pacific(MONDAY, 13), pacific(TUESDAY, 0))
    # The list says it on the clock it was typed on, naming that clock.
    assert "Mon, Jun 1, 2026, from 1:00 PM Los Angeles time" in response.content.decode()


def test_a_pacific_afternoon_off_blocks_pacific_sessions_then_and_not_three_hours_early(clinic, login, west):
    _add_on_the_page(clinic, login, start_time="13:00", time_zone="America/Los_Angeles")
    assert "time off" in _check(clinic, west, pacific(MONDAY, 13)).unavailable
    assert "time off" in _check(clinic, west, pacific(MONDAY, 22)).unavailable
    assert _check(clinic, west, pacific(MONDAY, 10)).is_free  # 13:00 on the clinic's clock
    assert _check(clinic, west, pacific(MONDAY, 12)).is_free
    with pytest.raises(Unprocessable):
        _book(clinic, west, pacific(MONDAY, 13))
    assert _book(clinic, west, pacific(MONDAY, 10)).override_reason == ""


def test_the_form_that_changes_it_shows_it_on_its_own_clock(clinic, login, west):
    _add_on_the_page(clinic, login, start_time="13:00", end_time="15:00", time_zone="America/Los_Angeles")
    off = TimeOff.objects.get(therapist=clinic.therapist)
    url = reverse("scheduling:availability_edit", args=["time-off", off.pk])
    client = login(clinic.front_desk)
    html = client.get(url).content.decode()
    assert 'name="start_time" value="13:00"' in html and 'name="end_time" value="15:00"' in html
    assert '<option value="America/Los_Angeles" selected>' in html
    assert "1:00 PM–3:00 PM Los Angeles time" in html
    client.post(
        url,
        {
            "start_date": MONDAY.isoformat(),
            "start_time": "14:00",
            "end_date": MONDAY.isoformat(),
            "end_time": "15:00",
            "time_zone": "America/Los_Angeles",
        },
    )
    off.refresh_from_db()
    assert (off.start, off.end) == (pacific(MONDAY, 14), pacific(MONDAY, 15))


def test_a_clock_no_office_keeps_is_refused_on_the_form(clinic, login, west):
    response = _add_on_the_page(clinic, login, start_time="13:00", time_zone="Europe/Berlin")
    assert response.status_code == 422 and response.context["off_form"].errors["time_zone"]
    assert not TimeOff.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Whole days and times at the clinic's midnight


def test_a_pacific_start_at_the_clinics_midnight_is_not_a_whole_day(clinic, west):
    # 21:00 Pacific on Monday is 00:00 on Tuesday in New York.
    off = services.time_off_save(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        start=pacific(MONDAY, 21),
        end=pacific(TUESDAY, 0),
        time_zone="America/Los_Angeles",
    )
    assert not off.starts_a_whole_day and off.ends_a_whole_day and off.last_day == MONDAY
    assert "time off" in _check(clinic, west, pacific(MONDAY, 21, 30)).unavailable
    assert _check(clinic, west, pacific(MONDAY, 20)).is_free
    assert _check(clinic, west, pacific(TUESDAY, 9)).is_free
    late = _book(clinic, west, pacific(MONDAY, 22), override_reason="Agreed before the time off")
    assert [a.pk for a in selectors.sessions_in_time_off(time_off=off)] == [late.pk]


def test_a_pacific_time_from_the_clinics_midnight_is_typed_as_such(clinic, login, west):
    _add_on_the_page(clinic, login, start_time="21:00", time_zone="America/Los_Angeles")
    off = TimeOff.objects.get(therapist=clinic.therapist)
    assert not off.is_whole_days and off.start == pacific(MONDAY, 21)
    assert "time off" in _check(clinic, west, pacific(MONDAY, 22)).unavailable
    assert _check(clinic, west, pacific(MONDAY, 17)).is_free


def test_a_whole_day_typed_on_the_pacific_clock_is_still_each_offices_whole_day(clinic, login, west):
    _add_on_the_page(clinic, login, time_zone="America/Los_Angeles")
    off = TimeOff.objects.get(therapist=clinic.therapist)
    assert off.is_whole_days and (off.start, off.end) == (pacific(MONDAY, 0), pacific(TUESDAY, 0))
    main = Location.main()
    WorkingHours.objects.create(
        therapist=clinic.therapist, location=main, weekday=5, start_time=dt.time(9), end_time=dt.time(17)
    )
    assert off.covers(at(MONDAY, 8), at(MONDAY, 9), main.zone)
    assert not off.covers(at(TUESDAY, 1), at(TUESDAY, 2), main.zone)  # Monday 22:00 in Pasadena
    assert "time off" in _check(clinic, west, pacific(MONDAY, 22)).unavailable


# ---------------------------------------------------------------------------------------------------------------
# The service, the API and the database


def test_time_off_that_names_no_clock_is_on_the_clinics(clinic):
    off = services.time_off_save(
        actor=clinic.front_desk, therapist=clinic.therapist, start=at(MONDAY, 9), end=at(MONDAY, 12)
    )
    assert off.time_zone == settings.TIME_ZONE and not off.zone_differs
    made = TimeOff.objects.create(therapist=clinic.therapist, start=at(MONDAY, 13), end=at(MONDAY, 14))
    made.refresh_from_db()
    assert made.time_zone == settings.TIME_ZONE


@pytest.mark.parametrize("zone", ["", "Mars/Olympus"])
def test_the_service_refuses_an_unknown_clock_with_a_message(clinic, zone):
    with pytest.raises(Unprocessable) as refused:
        services.time_off_save(
            actor=clinic.front_desk,
            therapist=clinic.therapist,
            start=at(MONDAY, 9),
            end=at(MONDAY, 12),
            time_zone=zone,
        )
    assert refused.value.fields["time_zone"] and "time zone" in refused.value.message
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize("zone", ["", "Mars/Olympus"])
def test_the_database_refuses_time_off_on_an_unknown_clock(clinic, zone):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        TimeOff.objects.create(therapist=clinic.therapist, start=at(MONDAY, 9), end=at(MONDAY, 12), time_zone=zone)
    assert refused.value.__cause__.diag.constraint_name == "time_off_time_zone_known"


def test_the_api_takes_the_clock_and_says_it(clinic, login, west):
    client = login(clinic.front_desk, api=True)
    body = {
        "therapist": clinic.therapist.pk,
        "start": pacific(MONDAY, 21).isoformat(),
        "end": pacific(TUESDAY, 0).isoformat(),
        "time_zone": "America/Los_Angeles",
    }
    response = client.post("/api/time-off/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["time_zone"] == "America/Los_Angeles"
    off = TimeOff.objects.get(pk=response.json()["id"])
    assert not off.starts_a_whole_day and off.ends_a_whole_day
    # Changing the times alone keeps the clock.
    changed = client.patch(f"/api/time-off/{off.pk}/", {"start": pacific(MONDAY, 20).isoformat()}, format="json")
    assert changed.status_code == 200 and changed.json()["time_zone"] == "America/Los_Angeles"


def test_the_api_puts_time_off_that_names_no_clock_on_the_clinics(clinic, login):
    client = login(clinic.front_desk, api=True)
    body = {"therapist": clinic.therapist.pk, "start": at(MONDAY, 9).isoformat(), "end": at(MONDAY, 12).isoformat()}
    response = client.post("/api/time-off/", body, format="json")
    assert response.status_code == 201 and response.json()["time_zone"] == settings.TIME_ZONE


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "x" * 100])
def test_the_api_refuses_an_unknown_clock_with_a_field_message(clinic, login, zone):
    client = login(clinic.front_desk, api=True)
    body = {
        "therapist": clinic.therapist.pk,
        "start": at(MONDAY, 9).isoformat(),
        "end": at(MONDAY, 12).isoformat(),
        "time_zone": zone,
    }
    response = client.post("/api/time-off/", body, format="json")
    assert response.status_code in (400, 422), response.content
    assert response.json()["error"]["fields"]["time_zone"]
    assert not TimeOff.objects.exists()
