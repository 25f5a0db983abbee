import datetime as dt
import io
import re
from collections import Counter
from importlib import import_module

import pytest
import time_machine
from django.utils import timezone

from apps.billing.models import Charge
from apps.core import clock
from apps.programs.models import Attendance, Enrollment, GroupProgram, ProgramMeeting, PublicRegistrant
from apps.programs.selectors import meeting_attendance_sheet

pytestmark = pytest.mark.django_db


def test_the_demo_programs_load_once_with_a_full_group_a_waitlist_and_an_open_offer():
    from apps.accounts import demo as accounts_demo
    from apps.patients import demo as patients_demo
    from apps.programs import demo
    from apps.scheduling import demo as scheduling_demo

    out = io.StringIO()
    for module in (accounts_demo, scheduling_demo, patients_demo, demo, demo):
        module.seed(out)
    group = GroupProgram.objects.get(title="10-week TMS recovery group")
    lectures = GroupProgram.objects.get(title="Knowledge-therapy lecture series")
    assert (group.meetings.count(), lectures.meetings.count()) == (10, 6)
    assert (lectures.kind, lectures.service_type.code, lectures.fee_mode) == ("lecture", "EDU-LECT", "donation")
    statuses = list(Enrollment.objects.filter(program=group).values_list("status", flat=True))
    assert statuses.count("enrolled") == 7 and statuses.count("offered") == 1 and statuses.count("waitlisted") == 4
    portal = Enrollment.objects.get(program=group, patient__email="patient01@clinic.test")
    assert portal.status == "waitlisted"
    public = GroupProgram.objects.get(title="Pain is real — and reversible")
    assert (public.kind, public.service_type.code, public.fee_mode) == ("lecture", "EDU-LECT", "sliding")
    registrants = list(Enrollment.objects.filter(program=public).values_list("status", flat=True))
    assert sorted(registrants) == ["enrolled"] * 5 + ["waitlisted"]
    assert PublicRegistrant.objects.filter(patient__isnull=False).count() == 1
    assert GroupProgram.objects.count() == 6
    planned = GroupProgram.objects.get(title=demo.PLANNED_LECTURE)
    assert (planned.kind, planned.stage) == ("lecture", "proposed")
    assert sorted(planned.enrollments.values_list("registrant__email", "status")) == [
        ("dana.brooks@public.test", "waitlisted"),
        ("morgan.lee@public.test", "waitlisted"),
    ]
    spring = GroupProgram.objects.get(title=demo.SPRING)
    winter = GroupProgram.objects.get(title=demo.WINTER)
    assert (spring.stage, winter.stage) == ("proposed", "not_launched")
    # Five joined the spring cohort, three more came from the winter group: near its minimum of ten.
    assert spring.enrollments.filter(status="waitlisted").count() == 8
    assert spring.meetings.count() == 0
    assert not winter.enrollments.filter(status="waitlisted").exists()


def _programs_seed(out) -> None:
    for name in ("accounts", "scheduling", "patients", "billing", "programs"):
        import_module(f"apps.{name}.demo").seed(out)


def test_the_demo_run_again_weeks_later_takes_attendance_at_the_meetings_ended_since():
    """Seeded three weeks ago, before its groups first met, and run again now: every member of every meeting that
    has ended is recorded, as of the meeting's end, and the patients who came are charged on that day; a run again
    at the same instant records and charges nothing more."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=22), tick=True):
        _programs_seed(io.StringIO())
    assert not Attendance.objects.exists(), "no meeting had been held at the first run"

    now = timezone.now()
    out = io.StringIO()
    _programs_seed(out)
    ended = ProgramMeeting.objects.filter(appointment__end__lt=now).select_related("program", "appointment")
    assert ended.filter(program__title="10-week TMS recovery group").count() >= 2
    for meeting in ended:
        sheet = meeting_attendance_sheet(meeting=meeting)
        assert sheet and all(record is not None for _, record in sheet), meeting
        for _, record in sheet:
            assert record.recorded_by_id == meeting.program.lead_facilitator_id
    assert not Attendance.objects.filter(meeting__appointment__end__gte=now).exists()
    statuses = Counter(Attendance.objects.values_list("status", flat=True))
    assert statuses["attended"] > sum(statuses.values()) / 2, statuses
    charges = Charge.objects.filter(appointment__program_meeting__in=ended)
    assert charges.count() >= 7, "most of the group's seven members were charged for each of two meetings"
    tz = clock.clinic_tz()
    on_the_day = {
        c.posted_at == c.appointment.end and c.posted_at.astimezone(tz).date() == c.service_date for c in charges
    }
    assert on_the_day == {True}
    assert re.search(r"Attendance: taken at \d+ meetings", out.getvalue())

    taken = sorted(Attendance.objects.values_list("pk", "status", "updated_at"))
    _programs_seed(io.StringIO())
    assert sorted(Attendance.objects.values_list("pk", "status", "updated_at")) == taken
    assert Charge.objects.filter(appointment__program_meeting__in=ended).count() == charges.count()
