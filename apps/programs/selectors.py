"""Reads for programs and enrollments, scoped to what the user may see and shaped once here."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Lower

from apps.accounts.roles import Role
from apps.core import clock
from apps.core.request_memo import memo_read
from apps.core.when import weekday_moment_text
from apps.notifications.selectors import notices_about_since
from apps.outcomes.instruments import INSTRUMENTS
from apps.outcomes.selectors import responses_to_sessions
from apps.scheduling.models import BLOCKING_STATUSES

from .models import (
    SEATED_STATUSES,
    Attendance,
    Enrollment,
    EnrollmentStatus,
    GroupProgram,
    ProgramMeeting,
    ProgramStage,
    StrandedEnrollment,
)


def _with_seat_counts(qs: QuerySet[GroupProgram]) -> QuerySet[GroupProgram]:
    return qs.annotate(
        enrolled_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ENROLLED)),
        offered_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.OFFERED)),
        waitlist_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.WAITLISTED)),
    )


def programs_visible_to(*, user) -> QuerySet[GroupProgram]:
    """Staff see every program; patients see the catalogue (programs not yet over) and their own."""
    qs = _with_seat_counts(GroupProgram.objects.select_related("lead_facilitator", "room", "service_type"))
    if not user.is_authenticated:
        return qs.none()
    if user.is_clinic_staff:
        return qs
    if user.has_role(Role.PATIENT):
        today = clock.local_now().date()
        return qs.filter(
            Q(enrollment_closes_on__gte=today)
            | Q(enrollment_closes_on__isnull=True, first_meeting_on__gte=today)
            | Exists(Enrollment.objects.filter(program_id=OuterRef("pk"), patient__user=user))
        )
    return qs.none()


def with_roster_open(programs: QuerySet[GroupProgram], *, user) -> QuerySet[GroupProgram]:
    """`programs` with `roster_open`: whether `user` may open each one's page (the `programs.view_roster` rule in
    the programs' own query): whoever manages programs opens them all, anyone else those they facilitate, so a
    list links only the pages its reader can open."""
    if user.has_perm("programs.view_roster"):
        return programs.annotate(roster_open=Value(True, output_field=BooleanField()))
    co_leads = GroupProgram.co_facilitators.through.objects.filter(groupprogram_id=OuterRef("pk"), user_id=user.pk)
    return programs.annotate(roster_open=Q(lead_facilitator_id=user.pk) | Exists(co_leads))


def programs_roster_open(*, user, program_ids) -> set[int]:
    """Which of the programs `user` may open the page of, by `with_roster_open`'s rule: none read for those who
    manage programs (all of them), one query for anyone else, however many programs are asked about."""
    if user.has_perm("programs.view_roster"):
        return set(program_ids)
    if not program_ids:
        return set()
    openable = with_roster_open(GroupProgram.objects.filter(pk__in=program_ids), user=user).filter(roster_open=True)
    return set(openable.values_list("pk", flat=True))


def with_first_meeting(programs: QuerySet[GroupProgram]) -> QuerySet[GroupProgram]:
    """`programs` with their first meeting's start (`first_meeting_start`) and its office's zone
    (`first_meeting_zone`), both None before the meetings are booked, and the room's office: what telling a
    program's time on the reader's clock reads, in the programs' own query."""
    first = ProgramMeeting.objects.filter(program=OuterRef("pk")).order_by("number")
    return programs.select_related("room__location").annotate(
        first_meeting_start=Subquery(first.values("appointment__start")[:1]),
        first_meeting_zone=Subquery(first.values("appointment__location__time_zone")[:1]),
    )


def waitlist_rank_subquery() -> Subquery:
    """Place in line (1 = next) of a waitlisted enrollment; NULL for everyone else."""
    ahead = (
        Enrollment.objects.filter(
            program_id=OuterRef("program_id"),
            status=EnrollmentStatus.WAITLISTED,
            waitlist_position__lte=OuterRef("waitlist_position"),
        )
        .order_by()
        .values("program_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(ahead)


def enrollments_visible_to(*, user) -> QuerySet[Enrollment]:
    qs = Enrollment.objects.select_related("patient", "registrant", "program", "program__lead_facilitator").annotate(
        waitlist_rank=waitlist_rank_subquery()
    )
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.ADMIN, Role.FRONT_DESK, Role.BILLING):
        return qs
    if user.has_role(Role.THERAPIST):
        return qs.filter(Q(program__lead_facilitator=user) | Q(program__co_facilitators=user)).distinct()
    if user.has_role(Role.PATIENT):
        return qs.filter(patient__user=user)
    return qs.none()


def program_meetings(*, program: GroupProgram) -> QuerySet[ProgramMeeting]:
    return program.meetings.select_related("appointment", "appointment__room").order_by("number")


def program_roster(*, program: GroupProgram) -> dict:
    """Members, the waitlist in order, and outstanding offers, for the staff page."""
    rows = list(
        program.enrollments.select_related("patient", "registrant")
        .filter(status__in=[*SEATED_STATUSES, EnrollmentStatus.WAITLISTED])
        .order_by("waitlist_position", "offer_expires_at", "patient__legal_last_name")
    )
    waitlist = [e for e in rows if e.status == EnrollmentStatus.WAITLISTED]
    for rank, enrollment in enumerate(waitlist, start=1):
        enrollment.waitlist_rank = rank
    return {
        "members": [e for e in rows if e.status == EnrollmentStatus.ENROLLED],
        "offers": [e for e in rows if e.status == EnrollmentStatus.OFFERED],
        "waitlist": waitlist,
    }


def members_at_q(appointment) -> Q:
    """Enrollments that were members at a meeting: enrolled before it ended, and not withdrawn before it began.

    Members who withdrew are expected only at earlier meetings, so withdrawing stops later charges.
    """
    return Q(enrolled_at__lte=appointment.end) & (
        Q(status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED])
        | Q(status=EnrollmentStatus.WITHDRAWN, ended_at__gt=appointment.start)
    )


def meeting_attendance_sheet(*, meeting: ProgramMeeting) -> list[tuple[Enrollment, Attendance | None]]:
    """Everyone expected at the meeting, patients and members of the public alike (by name), with what was recorded
    for them. Two queries."""
    recorded = {a.enrollment_id: a for a in meeting.attendance.all()}
    members = (
        meeting.program.enrollments.select_related("patient", "registrant")
        .filter(members_at_q(meeting.appointment) | Q(pk__in=recorded.keys()))
        .annotate(
            sort_name=Coalesce(
                Concat("patient__legal_last_name", Value(" "), "patient__legal_first_name"), "registrant__name"
            )
        )
        .order_by(Lower("sort_name"), "pk")
    )
    return [(e, recorded.get(e.pk)) for e in members]


def patient_enrollments(*, patient) -> QuerySet[Enrollment]:
    """A patient's own enrollments with their place in line and the meetings of programs they are in."""
    return (
        Enrollment.objects.filter(patient=patient)
        .select_related("program", "program__room", "program__lead_facilitator")
        .annotate(waitlist_rank=waitlist_rank_subquery())
        .prefetch_related(
            Prefetch(
                "program__meetings",
                queryset=ProgramMeeting.objects.select_related("appointment").order_by("number"),
            )
        )
        .order_by("-created_at")
    )


def patient_enrollments_shown(*, patient) -> list[Enrollment]:
    """`patient_enrollments` as a list, read once per request: the cards of one page (the care ladder's next step,
    the programs card, the portal's open offers) show the same rows. For pages; a service reads its own."""
    return memo_read(f"programs.enrollments:{patient.pk}", lambda: list(patient_enrollments(patient=patient)))


def member_meetings_during(*, patient, ranges: list[tuple[dt.datetime, dt.datetime]]) -> list[ProgramMeeting]:
    """Meetings of the programs a patient holds a seat in (enrolled or offered) that overlap any of the ranges.

    An individual session at the same hour as the patient's group is allowed (they may choose it), but the
    front desk should know before they book it. One query.
    """
    if patient is None or not ranges:
        return []
    overlapping = Q()
    for start, end in ranges:
        overlapping |= Q(appointment__start__lt=end, appointment__end__gt=start)
    seated = Enrollment.objects.filter(patient=patient, status__in=SEATED_STATUSES).values("program_id")
    return list(
        ProgramMeeting.objects.filter(overlapping, program_id__in=seated, appointment__status__in=BLOCKING_STATUSES)
        .select_related("program", "appointment")
        .order_by("appointment__start")
    )


def member_meetings_warning(*, patient, ranges: list[tuple[dt.datetime, dt.datetime]]) -> str | None:
    """The front desk's warning when sessions being booked overlap the patient's own group meetings."""
    meetings = member_meetings_during(patient=patient, ranges=ranges)
    if not meetings:
        return None
    first = meetings[0]
    local = first.appointment.local_start  # where the meeting is held
    when = weekday_moment_text(local)
    more = f" and {len(meetings) - 1} more" if len(meetings) > 1 else ""
    return f"{patient.display_name} is in {first.program.title}, which meets at the same time ({when}{more})."


def discharge_blocker(*, patient) -> str:
    """A member of a group still meeting stands in the way of their discharge (patients.extensions), like a booked
    session: they would be expected, and charged, at its meetings. Withdrawing them first ends that."""
    still_meeting = ProgramMeeting.objects.filter(
        program=OuterRef("program"), appointment__end__gt=clock.now(), appointment__status__in=BLOCKING_STATUSES
    )
    titles = list(
        Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ENROLLED)
        .filter(Exists(still_meeting))
        .order_by("program__title")
        .values_list("program__title", flat=True)
    )
    if not titles:
        return ""
    groups = " and ".join(titles)
    return (
        f"{patient.display_name} is a member of {groups}, which still meets: withdraw them from the program's roster "
        "before discharging."
    )


@dataclass(frozen=True)
class ProgramsWaiting:
    waitlists: list[dict]  # program_id, program__title, waiting, since: a seat may be offered to them
    interest: list[tuple[GroupProgram, dict]]  # a proposal and its `program_interest`: no seat exists yet


def programs_waiting() -> ProgramsWaiting:
    """Who waits on a program, in one query. Programs with people on their waitlist (no seat offered to them yet),
    longest wait first; and, apart from them, every proposed program with its interest list against its minimum,
    soonest decision first, as its people wait for the program to launch, not for a seat the desk could offer."""
    waiting = Q(enrollments__status=EnrollmentStatus.WAITLISTED)
    programs = (
        GroupProgram.objects.annotate(
            waitlist_count=Count("enrollments", filter=waiting), since=Min("enrollments__created_at", filter=waiting)
        )
        .filter(Q(stage=ProgramStage.PROPOSED) | Q(waitlist_count__gt=0))
        .order_by("since", "pk")
    )
    waitlists, interest = [], []
    for program in programs:
        if program.stage == ProgramStage.PROPOSED:
            interest.append((program, program_interest(program=program)))
        else:
            waitlists.append(
                {
                    "program_id": program.pk,
                    "program__title": program.title,
                    "waiting": program.waitlist_count,
                    "since": program.since,
                }
            )
    interest.sort(key=lambda row: (row[0].decision_on or dt.date.max, row[0].pk))
    return ProgramsWaiting(waitlists=waitlists, interest=interest)


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def outcome_meetings_due(*, now: dt.datetime, lead: dt.timedelta) -> QuerySet[ProgramMeeting]:
    """First and last meetings of programs that ask for questionnaires, starting within `lead` from now and not
    cancelled, with their current members (enrolled, with a portal account to answer in) as `members`."""
    return (
        ProgramMeeting.objects.filter(
            Q(number=1) | Q(number=F("program__meeting_count")),
            appointment__start__gt=now,
            appointment__start__lte=now + lead,
            appointment__status__in=BLOCKING_STATUSES,
        )
        .exclude(program__outcome_questionnaires=[])
        .select_related("program", "appointment")
        .prefetch_related(
            Prefetch(
                "program__enrollments",
                queryset=Enrollment.objects.filter(
                    status=EnrollmentStatus.ENROLLED, patient__user__isnull=False, patient__user__is_active=True
                )
                .select_related("patient", "patient__user")
                .order_by("pk"),
                to_attr="members",
            )
        )
        .order_by("appointment__start", "pk")
    )


# An average of one member's scores is their own, and of two it tells either's to whoever knows the other's (their
# therapist, facilitating): the group's averages are shown from this many members answering both, the counts always.
OUTCOME_AVERAGES_MIN_MEMBERS = 3


def program_outcomes(*, program: GroupProgram) -> list[dict]:
    """The group's scores before and after, per questionnaire the program asks: aggregates only, no one's answers.

    Before and after are the answers members gave to the questionnaires assigned for the first and the last
    meeting (services.meeting_questionnaires_assign); answers given elsewhere do not count. The change compares
    members who answered both, and is shown, with the averages, only once OUTCOME_AVERAGES_MIN_MEMBERS did
    (`withheld` says when fewer did). Three queries.
    """
    codes = [code for code in program.outcome_questionnaires if code in INSTRUMENTS]
    meetings = list(program_meetings(program=program))
    members = list(
        program.enrollments.filter(status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED]).values_list(
            "patient_id", flat=True
        )
    )
    if not codes or len(meetings) < 2 or not members:
        return []
    first, last = meetings[0].appointment_id, meetings[-1].appointment_id
    responses = responses_to_sessions(patient_ids=members, session_ids=[first, last], instruments=codes)
    before: dict[tuple[int, str], int] = {}
    after: dict[tuple[int, str], int] = {}
    for response in responses.only("patient_id", "instrument", "score"):
        answered = before if response.session_id == first else after
        answered[(response.patient_id, response.instrument)] = response.score
    rows = []
    for code in codes:
        paired = [(before[(p, code)], after[(p, code)]) for p in members if (p, code) in before and (p, code) in after]
        withheld = 0 < len(paired) < OUTCOME_AVERAGES_MIN_MEMBERS
        averaged = [] if withheld else paired
        mean_before, mean_after = _mean([b for b, _ in averaged]), _mean([a for _, a in averaged])
        rows.append(
            {
                "code": code,
                "name": INSTRUMENTS[code].name,
                "max_score": INSTRUMENTS[code].max_score,
                "answered_before": sum(1 for p in members if (p, code) in before),
                "answered_after": sum(1 for p in members if (p, code) in after),
                "paired": len(paired),
                "mean_before": mean_before,
                "mean_after": mean_after,
                "change": mean_after - mean_before if averaged else None,
                "withheld": withheld,
                "min_members": OUTCOME_AVERAGES_MIN_MEMBERS,
            }
        )
    return rows


def stranded_enrollments(*, cutoff: dt.datetime) -> QuerySet[Enrollment]:
    """Everyone waiting on a program's waitlist or interest list since before `cutoff` with, since `cutoff`, no seat
    offer, no notice about their place (status notices and alternatives go out about the enrollment) and no
    work-queue item open or resolved."""
    notices = notices_about_since(subject_type=Enrollment._meta.label_lower, since=cutoff).filter(
        subject_id=Cast(OuterRef("pk"), output_field=CharField())
    )
    handled = StrandedEnrollment.objects.filter(enrollment_id=OuterRef("pk")).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff)
    )
    return (
        Enrollment.objects.filter(status=EnrollmentStatus.WAITLISTED, created_at__lt=cutoff)
        .exclude(offered_at__gte=cutoff)
        .exclude(Exists(notices))
        .exclude(Exists(handled))
        .order_by("created_at", "pk")
    )


def stranded_work_queue(*, resolved: bool = False) -> QuerySet[StrandedEnrollment]:
    """The work queue for the front desk: open items oldest first, or the resolved ones newest first."""
    qs = StrandedEnrollment.objects.select_related(
        "enrollment__patient", "enrollment__registrant", "enrollment__program", "resolved_by"
    )
    if resolved:
        return qs.filter(resolved_at__isnull=False).order_by("-resolved_at", "-pk")
    return qs.filter(resolved_at__isnull=True).order_by("created_at", "pk")


def stranded_open() -> QuerySet[StrandedEnrollment]:
    """People on the work queue nobody has resolved yet: the menu counts them."""
    return StrandedEnrollment.objects.filter(resolved_at__isnull=True)


def program_interest(*, program: GroupProgram) -> dict:
    """A proposed program's interest list at a glance: how many are on it against the minimum to launch. A program
    from `programs_visible_to` carries the count already."""
    count = getattr(program, "waitlist_count", None)
    if count is None:
        count = program.enrollments.filter(status=EnrollmentStatus.WAITLISTED).count()
    minimum = program.minimum_to_launch or 0
    return {"count": count, "minimum": minimum, "reached": bool(minimum) and count >= minimum}
