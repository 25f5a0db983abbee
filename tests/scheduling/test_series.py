"""Weekly series: counts, end dates, open-ended horizons, the conflict preview and DST."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.scheduling import services, tasks
from apps.scheduling.models import Appointment, AppointmentSeries, TimeOff

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def series(c, **overrides):
    args = {
        "actor": c.front_desk,
        "therapist": c.therapist,
        "patient": c.patient,
        "service_type": c.individual,
        "first_date": MONDAY,
        "local_start_time": dt.time(15, 0),
        "room": c.willow,
        "occurrence_count": 4,
    }
    args.update(overrides)
    return services.series_book(**args)


def _local(appointment):
    return timezone.localtime(appointment.start, NEW_YORK)


def test_a_weekly_series_books_one_session_a_week(clinic):
    result = series(clinic)
    assert [_local(a).date() for a in result.booked] == [MONDAY + dt.timedelta(weeks=n) for n in range(4)]
    assert result.series.weekday == 0 and result.series.booked_through == MONDAY + dt.timedelta(weeks=3)
    assert all(a.series_id == result.series.pk for a in result.booked)


def test_an_every_other_week_series_ends_on_its_end_date(clinic):
    result = series(clinic, occurrence_count=None, end_date=MONDAY + dt.timedelta(weeks=6), interval_weeks=2)
    assert [_local(a).date() for a in result.booked] == [MONDAY + dt.timedelta(weeks=n) for n in (0, 2, 4, 6)]


def test_count_and_end_date_together_are_refused(clinic):
    with pytest.raises(Unprocessable):
        series(clinic, end_date=MONDAY + dt.timedelta(weeks=6))


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=8)
def test_an_open_ended_series_is_booked_to_the_horizon_and_extended_by_the_beat_job(clinic, frozen_now):
    result = series(clinic, occurrence_count=None)
    # Today is the Friday before MONDAY; eight weeks ahead reaches the 8th Monday (MONDAY + 7 weeks).
    assert len(result.booked) == 8
    frozen_now.shift(dt.timedelta(weeks=2))
    assert tasks.series_extend_open_ended() == 2
    assert tasks.series_extend_open_ended() == 0
    result.series.refresh_from_db()
    assert result.series.booked_through == MONDAY + dt.timedelta(weeks=9)
    assert Appointment.objects.filter(series=result.series).count() == 10


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=4)
def test_extending_after_the_beat_job_stood_still_books_no_date_already_begun(clinic, frozen_now):
    # Booked four Mondays ahead; the beat job then does not run for six weeks (a worker down, a restored backup).
    result = series(clinic, occurrence_count=None)
    frozen_now.shift(dt.timedelta(weeks=6))
    extended = services.series_extend(series=result.series)
    # Weeks 4 and 5 have passed: they are not booked behind everyone's back as sessions that never took place.
    assert [_local(a).date() for a in extended.booked] == [MONDAY + dt.timedelta(weeks=w) for w in (6, 7, 8, 9)]
    assert not Appointment.objects.filter(
        series=result.series, start__gt=at(MONDAY + dt.timedelta(weeks=3), 23), start__lt=clock.now()
    ).exists()
    result.series.refresh_from_db()
    assert result.series.booked_through == MONDAY + dt.timedelta(weeks=9)


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=4)
def test_extending_skips_a_date_someone_else_took_meanwhile(clinic, frozen_now):
    result = series(clinic, occurrence_count=None)
    taken = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=at(MONDAY + dt.timedelta(weeks=4), 15),
    )
    frozen_now.shift(dt.timedelta(weeks=2))
    extended = services.series_extend(series=result.series)
    assert [s.collisions[0].appointment.pk for s in extended.skipped] == [taken.pk]
    assert len(extended.booked) == 1


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=4)
def test_an_open_ended_series_booked_outside_working_hours_keeps_being_extended(clinic, frozen_now):
    """Staff agreed the 20:30 weekly time past the therapist's hours (08:00-20:00) when they booked it: the beat job
    keeps booking it ahead with that reason, rather than skipping every new date and letting the series run dry.
    A date in time off is still skipped, never forced."""
    result = series(clinic, occurrence_count=None, local_start_time=dt.time(20, 30), override_reason="Evenings only")
    assert len(result.booked) == 4
    TimeOff.objects.create(
        therapist=clinic.therapist,
        start=at(MONDAY + dt.timedelta(weeks=5), 0),
        end=at(MONDAY + dt.timedelta(weeks=5, days=1), 0),
    )
    frozen_now.shift(dt.timedelta(weeks=2))
    extended = services.series_extend(series=result.series)
    assert [_local(a).date() for a in extended.booked] == [MONDAY + dt.timedelta(weeks=4)]
    assert [s.local_start.date() for s in extended.skipped] == [MONDAY + dt.timedelta(weeks=5)]
    assert {a.override_reason for a in extended.booked} == {"Evenings only"}


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=4)
def test_a_series_moved_to_another_evening_time_keeps_being_extended_with_the_reason_given_for_it(clinic, frozen_now):
    result = series(clinic, occurrence_count=None)
    [*_, last] = services.appointment_reschedule(
        appointment=result.booked[1],
        actor=clinic.front_desk,
        start=at(MONDAY + dt.timedelta(weeks=1), 20, 30),
        scope="following",
        override_reason="Moved to evenings",
    )
    frozen_now.shift(dt.timedelta(weeks=2))
    successor = AppointmentSeries.objects.get(pk=last.series_id)
    extended = services.series_extend(series=successor)
    assert [(_local(a).date(), _local(a).time()) for a in extended.booked] == [
        (MONDAY + dt.timedelta(weeks=4), dt.time(20, 30)),
        (MONDAY + dt.timedelta(weeks=5), dt.time(20, 30)),
    ]
    assert {a.override_reason for a in extended.booked} == {"Moved to evenings"}


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=4)
def test_an_open_ended_series_goes_on_past_a_night_the_clocks_skip_its_time(clinic, frozen_now):
    """A Sunday 2:30 AM series (agreed as a night session): 2:30 never happens on Sunday 8 March 2026 in New York.
    The beat job skips that date and books the rest, rather than refusing the whole extension every run."""
    frozen_now.move_to(dt.datetime(2026, 1, 30, 12, tzinfo=NEW_YORK))
    result = series(
        clinic,
        first_date=dt.date(2026, 2, 1),
        occurrence_count=None,
        local_start_time=dt.time(2, 30),
        override_reason="Night sessions agreed",
    )
    assert [_local(a).date() for a in result.booked][-1] == dt.date(2026, 2, 22)
    frozen_now.move_to(dt.datetime(2026, 2, 13, 12, tzinfo=NEW_YORK))
    assert tasks.series_extend_open_ended() == 1
    frozen_now.move_to(dt.datetime(2026, 2, 20, 12, tzinfo=NEW_YORK))
    assert tasks.series_extend_open_ended() == 1
    booked = Appointment.objects.filter(series=result.series).order_by("start")
    assert [_local(a).date() for a in booked][-2:] == [dt.date(2026, 3, 1), dt.date(2026, 3, 15)]
    assert {_local(a).time() for a in booked} == {dt.time(2, 30)}


def test_the_preview_lists_which_dates_collide_and_with_what(clinic):
    blocker = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.other_therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        room=clinic.willow,
        start=at(MONDAY + dt.timedelta(weeks=2), 15, 30),
    )
    TimeOff.objects.create(
        therapist=clinic.therapist,
        start=at(MONDAY + dt.timedelta(weeks=1), 0),
        end=at(MONDAY + dt.timedelta(weeks=1), 23),
        reason="Vacation",
    )
    plan = services.series_preview(
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(15, 0),
        room=clinic.willow,
        occurrence_count=4,
    ).as_dict()
    assert plan["free"] == 2 and plan["blocked"] == 2
    week1, week2 = plan["occurrences"][1], plan["occurrences"][2]
    assert "time off" in week1["unavailable"] and week1["conflicts"] == []
    assert week2["conflicts"] == [
        {
            "id": blocker.pk,
            "start": blocker.local_start.isoformat(),
            "end": blocker.local_end.isoformat(),
            "collides_on": ["room"],
            "location": "Main office",
        }
    ]
    assert not AppointmentSeries.objects.exists()


def test_a_series_with_collisions_is_refused_whole_unless_told_to_skip_them(clinic):
    services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=at(MONDAY + dt.timedelta(weeks=1), 15),
    )
    with pytest.raises(Conflict) as caught:
        series(clinic)
    assert "1 of 4 dates collide" in caught.value.message
    assert [d["date"] for d in caught.value.extra["dates"]] == [str(MONDAY + dt.timedelta(weeks=1))]
    assert not AppointmentSeries.objects.exists()

    result = series(clinic, skip_conflicts=True)
    assert len(result.booked) == 3
    assert [s.local_start.date() for s in result.skipped] == [MONDAY + dt.timedelta(weeks=1)]


def test_skipping_also_skips_dates_in_time_off_unless_overridden(clinic):
    TimeOff.objects.create(
        therapist=clinic.therapist,
        start=at(MONDAY + dt.timedelta(weeks=2), 0),
        end=at(MONDAY + dt.timedelta(weeks=2), 23),
    )
    with pytest.raises(Unprocessable):
        series(clinic)
    assert len(series(clinic, skip_conflicts=True).booked) == 3


@pytest.mark.parametrize(
    ("first_date", "utc_hours"),
    [
        # Thursdays around the spring change (Sunday 8 March 2026): EST is UTC-5, EDT UTC-4.
        (dt.date(2026, 2, 26), [20, 20, 19, 19]),
        # Thursdays around the autumn change (Sunday 1 November 2026).
        (dt.date(2026, 10, 22), [19, 19, 20, 20]),
    ],
)
def test_a_weekly_series_stays_at_15_local_across_dst(clinic, frozen_now, first_date, utc_hours):
    frozen_now.move_to(dt.datetime(2026, 2, 1, 12, tzinfo=NEW_YORK))
    result = series(clinic, first_date=first_date)
    assert [_local(a).time() for a in result.booked] == [dt.time(15, 0)] * 4
    assert [a.start.astimezone(dt.UTC).hour for a in result.booked] == utc_hours
    assert all(a.end - a.start == dt.timedelta(minutes=45) for a in result.booked)
    stored = Appointment.objects.filter(series=result.series).order_by("start")
    assert all(timezone.is_aware(a.start) for a in stored)
    assert [timezone.localtime(a.start, NEW_YORK).hour for a in stored] == [15] * 4


def test_group_service_types_are_not_booked_as_patient_series(clinic):
    with pytest.raises(Unprocessable):
        series(clinic, service_type=clinic.group)


def test_an_end_date_years_away_is_refused_rather_than_booking_hundreds(clinic):
    with pytest.raises(Unprocessable, match="more than 104"):
        series(clinic, occurrence_count=None, end_date=MONDAY + dt.timedelta(weeks=200))


@override_settings(CLINIC_SERIES_HORIZON_WEEKS=4)
def test_an_open_ended_series_stops_growing_once_the_patient_is_discharged(clinic, frozen_now):
    """Discharging waits for the booked sessions to be cancelled; a chart discharged with sessions still booked
    (recorded before that rule, or by hand) must still stop its series growing."""
    from apps.patients.models import Patient

    result = series(clinic, occurrence_count=None)
    Patient.objects.filter(pk=clinic.patient.pk).update(status="discharged", discharged_on=MONDAY)
    frozen_now.shift(dt.timedelta(weeks=3))
    assert tasks.series_extend_open_ended() == 0
    result.series.refresh_from_db()
    assert result.series.status == "ended" and result.series.end_date == result.series.booked_through


def _book_at_night(clinic, day: dt.date, at: dt.time):
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=clock.local_datetime(day, at),
        room=clinic.willow,
        override_reason="A night session agreed with the patient",
    )


def test_a_session_on_the_night_the_clocks_go_back_lasts_its_length(clinic, frozen_now):
    """01:30 on Sunday 1 November 2026 happens twice in New York: the session is the first 01:30 and ends 45
    minutes later, not at 02:15 of the second hour (an hour and three quarters)."""
    frozen_now.move_to(dt.datetime(2026, 10, 1, 12, tzinfo=NEW_YORK))
    appointment = _book_at_night(clinic, dt.date(2026, 11, 1), dt.time(1, 30))
    appointment.refresh_from_db()
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)
    weekly = series(
        clinic,
        first_date=dt.date(2026, 10, 25),
        local_start_time=dt.time(1, 30),
        room=clinic.cedar,
        patient=clinic.other_patient,
        therapist=clinic.other_therapist,
        override_reason="Night sessions agreed",
    )
    stored = Appointment.objects.filter(series=weekly.series)
    assert stored.count() == 4 and all(a.end - a.start == dt.timedelta(minutes=45) for a in stored)


def test_a_time_the_clocks_skip_is_refused_with_a_message(clinic, frozen_now, login):
    """02:30 on Sunday 8 March 2026 never happens in New York: a clear 422, never a 500 from the database."""
    frozen_now.move_to(dt.datetime(2026, 2, 1, 12, tzinfo=NEW_YORK))
    with pytest.raises(Unprocessable, match="does not exist .* the clocks go forward"):
        _book_at_night(clinic, dt.date(2026, 3, 8), dt.time(2, 30))
    with pytest.raises(Unprocessable, match="does not exist"):
        series(clinic, first_date=dt.date(2026, 3, 1), local_start_time=dt.time(2, 30), override_reason="Nights")
    assert not Appointment.objects.exists()


def test_a_reminder_goes_its_lead_time_before_in_real_hours_across_a_clock_change(clinic, frozen_now):
    """A Monday 10:00 session the day after the clocks go back: its email reminder goes 48 real hours before, not
    at 10:00 on the Saturday by the wall clock (49 hours)."""
    from apps.core.models import ClinicSettings
    from apps.notifications.models import Message

    frozen_now.move_to(dt.datetime(2026, 10, 20, 12, tzinfo=NEW_YORK))
    appointment = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=clock.local_datetime(dt.date(2026, 11, 2), dt.time(10, 0)),
        room=clinic.willow,
    )
    lead = dt.timedelta(hours=ClinicSettings.load().reminder_email_lead_hours)
    stored = Appointment.objects.get(pk=appointment.pk)
    reminder = Message.objects.get(subject_id=str(appointment.pk), purpose="reminder_email")
    assert reminder.send_at == stored.start - lead
