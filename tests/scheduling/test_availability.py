"""Working hours and time off: the services the API and the staff page share, and the database's own guard."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.audit.models import AccessLog
from apps.core.errors import Unprocessable
from apps.scheduling import selectors, services
from apps.scheduling.models import TimeOff, Weekday, WorkingHours
from apps.scheduling.templatetags.scheduling_staff import time_off_when

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db

SATURDAY = Weekday.SATURDAY


def _hours(clinic, start, end, weekday=SATURDAY, **kwargs):
    return services.working_hours_save(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        weekday=weekday,
        start_time=dt.time(*start),
        end_time=dt.time(*end),
        **kwargs,
    )


def test_overlapping_working_hours_are_refused_naming_the_block_they_overlap(clinic):
    _hours(clinic, (9, 0), (12, 0))
    with pytest.raises(Unprocessable) as refused:
        _hours(clinic, (11, 30), (14, 0))
    assert refused.value.message == "These hours overlap Saturday 9:00 AM–12:00 PM at Main office."
    assert refused.value.fields == {"start_time": ["Overlaps Saturday 9:00 AM–12:00 PM at Main office."]}


def test_back_to_back_blocks_and_the_same_hours_on_another_day_are_fine(clinic):
    _hours(clinic, (9, 0), (12, 0))
    _hours(clinic, (12, 0), (14, 0))
    _hours(clinic, (9, 0), (12, 0), weekday=Weekday.SUNDAY)
    services.working_hours_save(
        actor=clinic.front_desk,
        therapist=clinic.other_therapist,
        weekday=SATURDAY,
        start_time=dt.time(9, 0),
        end_time=dt.time(12, 0),
    )
    assert WorkingHours.objects.filter(weekday__in=[SATURDAY, Weekday.SUNDAY]).count() == 4


def test_a_block_can_be_moved_within_its_own_hours(clinic):
    block = _hours(clinic, (9, 0), (12, 0))
    moved = services.working_hours_save(actor=clinic.therapist, working_hours=block, start_time=dt.time(10, 0))
    assert (moved.start_time, moved.end_time) == (dt.time(10, 0), dt.time(12, 0))


def test_hours_that_end_before_they_start_are_refused(clinic):
    with pytest.raises(Unprocessable, match="end after they start"):
        _hours(clinic, (14, 0), (9, 0))


def test_the_database_refuses_overlapping_hours_whatever_writes_them(clinic):
    WorkingHours.objects.create(
        therapist=clinic.therapist, weekday=SATURDAY, start_time=dt.time(9, 0), end_time=dt.time(12, 0)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(
            therapist=clinic.therapist, weekday=SATURDAY, start_time=dt.time(11, 0), end_time=dt.time(13, 0)
        )


def test_a_lost_race_for_overlapping_hours_gets_the_same_answer(clinic, monkeypatch):
    _hours(clinic, (9, 0), (12, 0))
    real, calls = services._overlapping_hours, []

    def check_missing_the_block_another_request_just_wrote(instance):
        calls.append(instance)
        return None if len(calls) == 1 else real(instance)

    monkeypatch.setattr(services, "_overlapping_hours", check_missing_the_block_another_request_just_wrote)
    with pytest.raises(Unprocessable) as refused:
        _hours(clinic, (11, 0), (13, 0))
    assert refused.value.message == "These hours overlap Saturday 9:00 AM–12:00 PM at Main office."
    assert WorkingHours.objects.filter(weekday=SATURDAY).count() == 1


def test_changes_to_working_hours_are_audited_with_the_old_and_new_times(clinic):
    block = _hours(clinic, (9, 0), (12, 0))
    services.working_hours_save(actor=clinic.therapist, working_hours=block, end_time=dt.time(13, 0))
    services.working_hours_delete(actor=clinic.admin, working_hours=block)
    rows = AccessLog.objects.filter(subject_type="scheduling.workinghours", subject_id=str(block.pk)).order_by("pk")
    assert [(r.actor_id, r.action) for r in rows] == [
        (clinic.front_desk.pk, "working_hours_save"),
        (clinic.therapist.pk, "working_hours_save"),
        (clinic.admin.pk, "working_hours_delete"),
    ]
    assert rows[1].detail["before"]["end"] == "12:00:00" and rows[1].detail["after"]["end"] == "13:00:00"
    assert rows[2].detail["after"] is None
    assert not WorkingHours.objects.filter(pk=block.pk).exists()


def test_time_off_that_ends_before_it_starts_is_refused(clinic):
    with pytest.raises(Unprocessable, match="ends after it starts"):
        services.time_off_save(
            actor=clinic.front_desk, therapist=clinic.therapist, start=at(MONDAY, 12), end=at(MONDAY, 9)
        )


def test_time_off_is_audited_without_its_reason(clinic):
    off = services.time_off_save(
        actor=clinic.therapist,
        therapist=clinic.therapist,
        start=at(MONDAY, 0),
        end=at(MONDAY + dt.timedelta(days=1), 0),
        reason="Surgery",
    )
    services.time_off_delete(actor=clinic.front_desk, time_off=off)
    rows = AccessLog.objects.filter(subject_type="scheduling.timeoff").order_by("pk")
    assert [r.action for r in rows] == ["time_off_save", "time_off_delete"]
    assert "Surgery" not in str([r.detail for r in rows])


def test_time_off_reads_in_whole_days_or_with_its_times(clinic):
    def off(start, end):
        return TimeOff(therapist=clinic.therapist, start=start, end=end)

    tuesday = MONDAY + dt.timedelta(days=1)
    assert time_off_when(off(at(MONDAY, 0), at(tuesday, 0))) == "Mon, Jun 1, 2026"
    assert time_off_when(off(at(MONDAY, 0), at(MONDAY + dt.timedelta(days=3), 0))) == (
        "Mon, Jun 1, 2026 – Wed, Jun 3, 2026"
    )
    assert time_off_when(off(at(MONDAY, 13), at(MONDAY, 17))) == "Mon, Jun 1, 2026, 1:00 PM–5:00 PM"
    assert time_off_when(off(at(MONDAY, 13), at(tuesday, 0))) == "Mon, Jun 1, 2026, from 1:00 PM"
    assert time_off_when(off(at(MONDAY, 13), at(tuesday + dt.timedelta(days=1), 0))) == (
        "Mon, Jun 1, 2026 1:00 PM – the end of Tue, Jun 2, 2026"
    )


def test_the_availability_overview_reads_every_therapist_in_three_queries(clinic, django_assert_num_queries):
    services.time_off_save(actor=clinic.front_desk, therapist=clinic.therapist, start=at(MONDAY, 0), end=at(MONDAY, 12))
    services.time_off_save(  # over before the overview's day: not listed
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        start=at(MONDAY - dt.timedelta(days=10), 0),
        end=at(MONDAY - dt.timedelta(days=9), 0),
    )
    with django_assert_num_queries(3):
        therapists = selectors.therapists_with_availability(since=at(MONDAY - dt.timedelta(days=3), 0))
        rows = {t.pk: (len(t.working_hours.all()), len(t.time_off_ahead)) for t in therapists}
    assert rows == {clinic.therapist.pk: (5, 1), clinic.other_therapist.pk: (5, 0)}
