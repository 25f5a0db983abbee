"""Where staff read a time on another office's clock, the clock is named in words after its place ("10:00 AM Sao
Paulo time"), never by the abbreviation Python gives the zone: for many zones that is only an offset ("-03",
"+0530"), which reads as a typo. São Paulo's clock is "-03" all year, so each test here would show it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from apps.core import clock
from apps.core.errors import Conflict
from apps.scheduling import services
from apps.scheduling.models import TimeOff, WorkingHours
from tests.places import sao_paulo_office

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
TUESDAY = MONDAY + dt.timedelta(days=1)


def paulista(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute), SAO_PAULO)


@pytest.fixture
def paulista_office(clinic):
    """The therapist keeps Mondays 08:00-23:00 at the Paulista office, on São Paulo's clock; other weekdays at the
    main office, on the clinic's."""
    office = sao_paulo_office()
    WorkingHours.objects.filter(therapist=clinic.therapist, weekday=0).delete()
    WorkingHours.objects.create(
        therapist=clinic.therapist, location=office, weekday=0, start_time=dt.time(8), end_time=dt.time(23)
    )
    return office


def _book(clinic, office, start, *, patient=None, **extra):
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=patient or clinic.patient,
        service_type=clinic.individual,
        start=start,
        location=office,
        **extra,
    )


def _page(client, url, data=None) -> str:
    response = client.get(url, data or {})
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------------------------------------------------------
# Booking


def test_a_booking_clash_names_the_other_sessions_clock_in_words(clinic, paulista_office):
    _book(clinic, paulista_office, paulista(MONDAY, 10))
    with pytest.raises(Conflict) as caught:
        _book(clinic, paulista_office, paulista(MONDAY, 10, 30), patient=clinic.other_patient)
    assert caught.value.message == "The therapist already has a session on Mon Jun 1, 10:00 AM–10:45 AM Sao Paulo time."


# ---------------------------------------------------------------------------------------------------------------
# Time off


def _time_off_on_the_page(clinic, login, **fields):
    body = {"kind": "time-off", "off-start_date": MONDAY.isoformat(), "off-end_date": MONDAY.isoformat()}
    body |= {f"off-{name}": value for name, value in fields.items()}
    url = reverse("scheduling:availability_therapist", args=[clinic.therapist.pk])
    return login(clinic.front_desk).post(url, body, follow=True).content.decode()


def test_time_off_typed_on_the_paulista_clock_is_listed_with_that_clock_in_words(clinic, login, paulista_office):
    html = _time_off_on_the_page(clinic, login, start_time="13:00", time_zone="America/Sao_Paulo")
    assert "Mon, Jun 1, 2026, from 1:00 PM Sao Paulo time" in html
    assert "PM -03" not in html


def test_the_time_off_form_names_its_clock_in_words(clinic, login, paulista_office):
    _time_off_on_the_page(clinic, login, start_time="13:00", end_time="15:00", time_zone="America/Sao_Paulo")
    off = TimeOff.objects.get(therapist=clinic.therapist)
    html = _page(login(clinic.front_desk), reverse("scheduling:availability_edit", args=["time-off", off.pk]))
    assert "1:00 PM–3:00 PM Sao Paulo time" in html and "PM -03" not in html


def test_the_sessions_to_move_out_of_new_time_off_are_named_at_their_offices_clock_in_words(
    clinic, login, paulista_office
):
    _book(clinic, paulista_office, paulista(MONDAY, 22))
    html = _time_off_on_the_page(clinic, login)
    assert "move or cancel them: Mon Jun 1, 10:00 PM Sao Paulo time." in html and "PM -03" not in html


# ---------------------------------------------------------------------------------------------------------------
# My day and the session page


def test_my_day_at_the_paulista_office_names_its_clock_in_words(clinic, login, paulista_office):
    _book(clinic, paulista_office, paulista(MONDAY, 10))
    html = _page(login(clinic.therapist), reverse("scheduling:my_day"), {"date": MONDAY.isoformat()})
    assert "Your hours that day are at Paulista office: times are its local time, as in Sao Paulo." in html
    assert "(-03)" not in html


def test_on_a_main_office_day_a_paulista_session_names_its_clock_in_words(clinic, login, paulista_office):
    _book(clinic, paulista_office, paulista(TUESDAY, 10), override_reason="Visiting the Paulista office")
    html = _page(login(clinic.therapist), reverse("scheduling:my_day"), {"date": TUESDAY.isoformat()})
    assert '10:00 AM–10:45 AM <span class="muted">Sao Paulo time</span>' in html and ">-03<" not in html


def test_the_session_page_names_the_paulista_clock_in_words(clinic, login, paulista_office, frozen_now):
    session = _book(clinic, paulista_office, paulista(MONDAY, 10))
    frozen_now.move_to(paulista(MONDAY, 9, 50))
    services.appointment_check_in(actor=clinic.front_desk, appointment=session)
    html = _page(login(clinic.front_desk), reverse("scheduling:appointment_detail", args=[session.pk]))
    assert "10:00 AM–10:45 AM Sao Paulo time</dd>" in html
    assert "<dt>Checked in</dt><dd>9:50 AM Sao Paulo time</dd>" in html
    assert "-03</dd>" not in html
