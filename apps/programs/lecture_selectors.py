"""Reads for lecture series open to the public: the public catalogue, registrants with what they owe and paid, a
registrant's place in line, and the lecture history of a registrant who became a patient."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from apps.billing.selectors.ledger import session_charged
from apps.core import clock

from .models import (
    LIVE_STATUSES,
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentStatus,
    GroupProgram,
    LecturePayment,
    LecturePaymentKind,
)
from .selectors import _with_seat_counts, waitlist_rank_subquery, with_first_meeting
from .services.lectures import lectures_open_q


def lectures_open() -> QuerySet[GroupProgram]:
    """Lecture series a visitor may register for today, soonest first, with their seat counts and their first
    meeting (what telling their time reads). One query."""
    return _with_seat_counts(with_first_meeting(GroupProgram.objects.filter(lectures_open_q()))).order_by(
        "first_meeting_on", "title"
    )


def _counted(subquery: QuerySet, field: str, output) -> Coalesce:
    return Coalesce(Subquery(subquery.values(field)[:1], output_field=output), Value(0), output_field=output)


def program_registrants(*, program: GroupProgram) -> list[Enrollment]:
    """A lecture series' public registrations, live ones first (seated, offered, then the line in order), each with
    `waitlist_rank`, `attended` (lectures charged: attended, and missed ones when the series charges no-shows),
    `paid` (fees recorded as lecture payments) and `owed` (those lectures not charged on the account of the chart the
    registration was linked to, at their chosen price, less what they paid). One query."""
    money = DecimalField(max_digits=9, decimal_places=2)
    charged = [AttendanceStatus.ATTENDED, *([AttendanceStatus.NO_SHOW] if program.charge_no_shows else [])]
    on_ledger = Q(enrollment__linked_to_chart=True) & session_charged(
        appointment_ref="meeting__appointment_id", patient_ref="enrollment__registrant__patient_id"
    )
    attended = (
        Attendance.objects.filter(enrollment=OuterRef("pk"), status__in=charged)
        .order_by()
        .values("enrollment")
        .annotate(n=Count("pk"), at_door=Count("pk", filter=~on_ledger))
    )
    paid = (
        LecturePayment.objects.filter(enrollment=OuterRef("pk"), kind=LecturePaymentKind.FEE)
        .order_by()
        .values("enrollment")
        .annotate(total=Sum("amount"))
    )
    rows = list(
        program.enrollments.filter(registrant__isnull=False)
        .select_related("registrant")
        .annotate(
            waitlist_rank=waitlist_rank_subquery(),
            attended=_counted(attended, "n", output=IntegerField()),
            attended_at_door=_counted(attended, "at_door", output=IntegerField()),
            paid=_counted(paid, "total", output=money),
        )
        .order_by("created_at", "pk")
    )
    for row in rows:
        row.owed = max(program.lecture_price(row.fee_tier) * row.attended_at_door - row.paid, Decimal("0.00"))
    live = [row for row in rows if row.status in LIVE_STATUSES]
    live.sort(key=lambda row: (row.status == EnrollmentStatus.WAITLISTED, row.waitlist_position or 0))
    return live + [row for row in rows if row.status not in LIVE_STATUSES]


def waitlist_rank(enrollment: Enrollment) -> int | None:
    """Place in line (1 = next) of a waitlisted enrollment; None for everyone else."""
    if enrollment.status != EnrollmentStatus.WAITLISTED:
        return None
    return Enrollment.objects.filter(
        program_id=enrollment.program_id,
        status=EnrollmentStatus.WAITLISTED,
        waitlist_position__lte=enrollment.waitlist_position,
    ).count()


def registrant_lecture_history(*, patient) -> QuerySet[Enrollment]:
    """The lecture series a patient registered for as a member of the public before their chart was opened (the
    registrations linked to it), newest first, with how many lectures they attended. One query."""
    return (
        Enrollment.objects.filter(registrant__patient=patient, linked_to_chart=True)
        .select_related("program")
        .annotate(attended=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ATTENDED)))
        .order_by("-created_at")
    )


# A registration's emailed link stops working this long after the registration ended or the series did, whichever
# is first: an old email forwarded or found later no longer opens a page with the registrant's name and email.
LINK_DAYS_AFTER = 30


def registration_link_open(enrollment: Enrollment) -> bool:
    """Whether the registration's signed link still opens it (see LINK_DAYS_AFTER). A series' end is its last
    booked meeting, or for one not booked its planned last week."""
    program = enrollment.program
    planned_end = program.first_meeting_on + dt.timedelta(weeks=program.meeting_count - 1)
    last_start = program.meetings.aggregate(last=Max("appointment__start"))["last"]
    series_end = max(planned_end, last_start.astimezone(clock.clinic_tz()).date()) if last_start else planned_end
    ends = [series_end]
    if enrollment.ended_at is not None:
        ends.append(enrollment.ended_at.astimezone(clock.clinic_tz()).date())
    return clock.local_now().date() <= min(ends) + dt.timedelta(days=LINK_DAYS_AFTER)
