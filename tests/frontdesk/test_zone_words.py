"""The staff home names another office's clock in words after its place ("as in Sao Paulo", "3:00 PM Sao Paulo
time"), never by the abbreviation Python gives the zone, which for São Paulo is only an offset ("-03")."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.core import clock
from apps.scheduling.models import WorkingHours
from tests.factories import AppointmentFactory
from tests.places import sao_paulo_office

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(autouse=True)
def _clock_held():
    """ "Today" cannot turn into tomorrow half-way through a test that happens to run at midnight."""
    with time_machine.travel(clock.now(), tick=False):
        yield


def _home(login, user, **query) -> str:
    response = login(user).get("/", query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_day_at_the_paulista_office_says_its_clock_in_words(personas, login):
    office = sao_paulo_office()
    html = _home(login, personas.front_desk, location=office.pk)
    assert "Sessions at Paulista office; times are Paulista office time, as in Sao Paulo." in html
    assert "(-03)" not in html


def test_the_clinics_day_says_its_clock_in_words(personas, login):
    sao_paulo_office()
    html = _home(login, personas.front_desk)
    assert "Times are clinic time, as in New York." in html


def test_a_paulista_session_among_the_clinics_arrivals_names_its_clock_in_words(personas, login):
    office = sao_paulo_office()
    # 15:00 in São Paulo is early afternoon in New York all year: on the clinic's today whatever the hour.
    start = clock.local_datetime(clock.local_now().date(), dt.time(15), SAO_PAULO)
    AppointmentFactory(location=office, start=start, end=start + dt.timedelta(minutes=45))
    html = _home(login, personas.front_desk)
    assert "· 3:00 PM Sao Paulo time</span>" in html and "PM -03" not in html


def test_a_therapist_working_at_the_paulista_office_today_reads_its_clock_in_words(personas, login):
    office = sao_paulo_office()
    WorkingHours.objects.filter(therapist=personas.therapist).delete()
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=personas.therapist, location=office, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )
    html = _home(login, personas.therapist)
    assert "Your hours today are at Paulista office: times are its local time, as in Sao Paulo." in html
    assert "(-03)" not in html
