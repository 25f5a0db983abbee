"""A clash with a session at an office on another clock: the message gives that session's time on its own clock,
named, and the time on the clock of the office being booked too, for the therapist, the patient and a room, on a
single booking and a weekly series alike."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.errors import Conflict
from apps.scheduling import services
from apps.scheduling.models import Location, WorkingHours
from tests.factories import RoomFactory, ServiceTypeFactory
from tests.places import LOS_ANGELES, coming_thursday, pacific_office, pacific_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def offices(personas):
    """Both therapists keep Thursdays at the Pasadena office; the therapist sees the patient at the main office at
    1:00 PM New York time (booked outside the hours), which is 10:00 AM at the Pasadena office."""
    pasadena = pacific_office()
    for therapist in (personas.therapist, personas.other_therapist):
        WorkingHours.objects.create(
            therapist=therapist, location=pasadena, weekday=3, start_time=dt.time(9), end_time=dt.time(17)
        )
    service = ServiceTypeFactory()
    services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=service,
        start=clock.local_datetime(coming_thursday(), dt.time(13)),
        override_reason="Asked for it",
        location=Location.main(),
    )
    return pasadena, service


def _book_at_pasadena(personas, offices, **who):
    pasadena, service = offices
    return services.appointment_book(
        actor=personas.front_desk,
        service_type=service,
        start=clock.local_datetime(coming_thursday(), dt.time(10), LOS_ANGELES),
        location=pasadena,
        **who,
    )


def _on_thursday(text: str) -> str:
    day = coming_thursday()
    return text.format(day=f"{day:%a %b} {day.day}")


def test_the_therapist_clash_names_the_other_offices_clock_and_the_time_here(personas, offices):
    with pytest.raises(Conflict) as caught:
        _book_at_pasadena(personas, offices, therapist=personas.therapist, patient=personas.other_patient)
    assert caught.value.message == _on_thursday(
        "The therapist already has a session at Main office on {day}, "
        "1:00 PM–1:45 PM New York time (10:00 AM–10:45 AM here)."
    )


def test_the_patient_clash_names_the_other_offices_clock_and_the_time_here(personas, offices):
    with pytest.raises(Conflict) as caught:
        _book_at_pasadena(personas, offices, therapist=personas.other_therapist, patient=personas.patient)
    assert caught.value.message == _on_thursday(
        "The patient already has a session at Main office on {day}, "
        "1:00 PM–1:45 PM New York time (10:00 AM–10:45 AM here)."
    )


def test_a_clash_at_the_office_booked_reads_on_its_own_clock_alone(personas, offices):
    pasadena, service = offices
    room = pacific_room(pasadena)
    start = clock.local_datetime(coming_thursday(), dt.time(11), LOS_ANGELES)
    booked = {"actor": personas.front_desk, "service_type": service, "start": start, "room": room}
    services.appointment_book(therapist=personas.therapist, patient=personas.patient, **booked)
    with pytest.raises(Conflict) as caught:
        services.appointment_book(therapist=personas.other_therapist, patient=personas.other_patient, **booked)
    assert caught.value.message == _on_thursday(
        "The room already has a session on {day}, 11:00 AM–11:45 AM Los Angeles time."
    )


def test_a_clash_at_an_office_behind_the_one_booked_gives_the_time_here_too(personas, offices):
    pasadena, service = offices
    services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.other_therapist,
        patient=personas.other_patient,
        service_type=service,
        start=clock.local_datetime(coming_thursday(), dt.time(9), LOS_ANGELES),
        location=pasadena,
    )
    with pytest.raises(Conflict) as caught:
        services.appointment_book(
            actor=personas.front_desk,
            therapist=personas.other_therapist,
            patient=personas.other_patient,
            service_type=service,
            start=clock.local_datetime(coming_thursday(), dt.time(11, 30)),
            room=RoomFactory(name="Willow"),
            override_reason="Asked for it",
        )
    assert caught.value.message == _on_thursday(
        "The therapist and the patient already have a session at Pasadena office on {day}, "
        "9:00 AM–9:45 AM Los Angeles time (12:00 PM–12:45 PM here)."
    )


def test_a_weekly_series_clash_names_both_clocks(personas, offices):
    pasadena, service = offices
    with pytest.raises(Conflict) as caught:
        services.series_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.other_patient,
            service_type=service,
            first_date=coming_thursday(),
            local_start_time=dt.time(10),
            occurrence_count=2,
            location=pasadena,
        )
    assert caught.value.message == _on_thursday(
        "1 of 2 dates collide. The therapist already has a session at Main office on {day}, "
        "1:00 PM–1:45 PM New York time (10:00 AM–10:45 AM here)."
    )
