"""Moving a session online keeps it where it is (by video stays by video, an office session keeps its room), so
the move's pages say where the session will be exactly as the sessions page says where it is."""

import datetime as dt
import re
from urllib.parse import quote

import pytest

from apps.core import clock
from apps.scheduling.models import Location, WorkingHours
from apps.scheduling.services import appointment_book
from tests.factories import RoomFactory
from tests.places import pacific_office

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db

NEW_TIME = at(MONDAY, 14)


def _where(page: str) -> str:
    [where] = re.findall(r"<dt>Where</dt><dd>(.*?)</dd>", page, flags=re.DOTALL)
    return where


def _with_address(location: Location) -> Location:
    location.address_line1, location.city, location.state, location.postal_code = (
        "120 Harbor Street",
        "Boston",
        "MA",
        "02110",
    )
    location.save()
    return location


def _book(booking, start=None, **place):
    return appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.individual,
        start=start or at(MONDAY, 10),
        **place,
    )


def _confirm_then_move(client, appointment) -> tuple[str, str]:
    """The confirmation's "Where", then the sessions page's "Where" once the session is moved."""
    url = f"/portal/book/move/{appointment.pk}/confirm/?start={quote(NEW_TIME.isoformat())}"
    confirm = client.get(url)
    assert confirm.status_code == 200
    moved = client.post(url, {"start": NEW_TIME.isoformat()}, follow=True)
    assert "Your session is moved" in moved.content.decode()
    return _where(confirm.content.decode()), _where(client.get("/portal/sessions/").content.decode())


def test_moving_a_video_session_confirms_it_stays_by_video_as_the_sessions_page_then_says(booking, login):
    _with_address(Location.main())
    video = _book(booking, is_telehealth=True)

    confirmed, listed = _confirm_then_move(login(booking.patient_user), video)

    assert confirmed.startswith("By video")
    assert "Main office" not in confirmed and "Harbor Street" not in confirmed
    assert confirmed == listed


def test_moving_an_office_session_confirms_its_own_room_as_the_sessions_page_then_says(booking, login):
    main = _with_address(Location.main())
    willow = RoomFactory(name="Willow", location=main)
    office = _book(booking, room=willow)

    confirmed, listed = _confirm_then_move(login(booking.patient_user), office)

    assert "Willow" in confirmed and "120 Harbor Street" in confirmed
    assert confirmed == listed


def test_the_week_to_move_a_video_session_names_no_office_to_go_to(booking, login):
    pasadena = pacific_office()
    WorkingHours.objects.filter(therapist=booking.therapist).update(location=pasadena)
    start = clock.local_datetime(MONDAY, dt.time(10), pasadena.zone)
    video = _book(booking, start=start, is_telehealth=True, location=pasadena)

    week = login(booking.patient_user).get(f"/portal/book/move/{video.pk}/").content.decode()

    assert "At Pasadena office" not in week
    # Still timed on the clock of the office it is held from.
    assert "Times are Los Angeles time." in week
