"""A therapist who keeps Thursdays at the main office (New York time), booked at an office on another clock: the
refusal says the true reason, her hours there on their own clock, never that she does not work that weekday, on a
single booking and a weekly series alike."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.scheduling import services
from apps.scheduling.models import Location, WorkingHours
from tests.factories import ServiceTypeFactory
from tests.places import LOS_ANGELES, coming_thursday, pacific_office

pytestmark = pytest.mark.django_db


def west(hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(coming_thursday(), dt.time(hour, minute), LOS_ANGELES)


@pytest.fixture
def thursdays(personas):
    """The therapist works Thursdays 9:00 AM–6:00 PM at the main office, on New York's clock, and nowhere else."""
    WorkingHours.objects.create(
        therapist=personas.therapist,
        location=Location.main(),
        weekday=3,
        start_time=dt.time(9),
        end_time=dt.time(18),
    )
    return pacific_office()


def _book(personas, office, start):
    return services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=start,
        location=office,
    )


@pytest.mark.parametrize(("hour", "minute", "span"), [(14, 30, "2:30 PM–3:15 PM"), (15, 0, "3:00 PM–3:45 PM")])
def test_a_time_past_her_hours_at_the_other_office_names_her_hours_on_their_clock(
    personas, thursdays, hour, minute, span
):
    with pytest.raises(Unprocessable) as caught:
        _book(personas, thursdays, west(hour, minute))
    assert caught.value.message == (
        f"{span} Los Angeles time is outside Theo Rapist's working hours on Thursdays "
        "(9:00 AM–6:00 PM New York time at Main office). Give an override reason to book anyway."
    )


def test_a_time_inside_her_hours_elsewhere_says_where_she_works_then_with_both_clocks_named(personas, thursdays):
    with pytest.raises(Unprocessable) as caught:
        _book(personas, thursdays, west(10))
    assert caught.value.message == (
        "At 10:00 AM–10:45 AM Los Angeles time Theo Rapist works at Main office (9:00 AM–6:00 PM New York time), "
        "not at Pasadena office. Give an override reason to book anyway."
    )


def test_a_weekday_she_keeps_nowhere_is_one_she_does_not_work(personas, thursdays):
    with pytest.raises(Unprocessable, match="Theo Rapist does not work on Fridays."):
        _book(personas, thursdays, west(10) + dt.timedelta(days=1))


def test_at_the_main_office_her_hours_read_on_its_own_clock(personas, thursdays):
    start = clock.local_datetime(coming_thursday(), dt.time(17, 30))
    with pytest.raises(Unprocessable) as caught:
        _book(personas, Location.main(), start)
    assert caught.value.message.startswith(
        "5:30 PM–6:15 PM is outside Theo Rapist's working hours on Thursdays (9:00 AM–6:00 PM)."
    )


def test_a_weekly_series_at_the_other_office_gives_the_same_reason(personas, thursdays):
    plan = services.series_preview(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        first_date=coming_thursday(),
        local_start_time=dt.time(15),
        occurrence_count=2,
        location=thursdays,
    )
    assert [slot.unavailable for slot in plan.slots] == [
        "3:00 PM–3:45 PM Los Angeles time is outside Theo Rapist's working hours on Thursdays "
        "(9:00 AM–6:00 PM New York time at Main office)."
    ] * 2
