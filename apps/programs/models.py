from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.core.models import TimeStampedModel, Transition
from apps.core.submissions import once_per_submission, submission_key_field


class ProgramKind(models.TextChoices):
    GROUP = "group", "Group program"
    LECTURE = "lecture", "Lecture series"


class LectureFeeMode(models.TextChoices):
    # A group program is billed through the fee schedule; only a lecture series chooses a mode.
    DONATION = "donation", "Free, donations welcome"
    SLIDING = "sliding", "A fee that slides: full or reduced price"


# CPT's psychiatry codes (90785-90899): a lecture series is education and is never billed as one of them.
PSYCHOTHERAPY_CODE_PATTERN = r"^908[0-9][0-9]$"


class ProgramStage(models.TextChoices):
    # A proposed program gathers an interest list until it launches or its decision date passes.
    PROPOSED = "proposed", "Proposed"
    LAUNCHED = "launched", "Launched"
    NOT_LAUNCHED = "not_launched", "Did not launch"


class GroupProgram(TimeStampedModel):
    """A group program or lecture series with a fixed number of seats and a meeting schedule.

    Meetings are group appointments (scheduling.Appointment with no patient) on the lead
    facilitator's calendar, conflict-checked like any appointment.
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=ProgramKind.choices, default=ProgramKind.GROUP)
    stage = models.CharField(max_length=20, choices=ProgramStage.choices, default=ProgramStage.LAUNCHED)
    minimum_to_launch = models.PositiveIntegerField(
        null=True, blank=True, help_text="People on the interest list needed before a proposed program launches."
    )
    decision_on = models.DateField(
        null=True, blank=True, help_text="The day a proposed program launches or is called off, at the latest."
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    # A proposal can be called off before its decision date: reports count it by this moment, not by that date.
    called_off_at = models.DateTimeField(null=True, blank=True, help_text="When a proposal was called off.")
    lead_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_programs",
        help_text="Meetings are booked on this therapist's calendar.",
    )
    co_facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_led_programs")
    service_type = models.ForeignKey(
        "scheduling.ServiceType",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A group service: 90853 for a group program, an education code (EDU-LECT) for a lecture series.",
    )
    fee_mode = models.CharField(
        max_length=20, choices=LectureFeeMode.choices, blank=True, help_text="Lecture series only."
    )
    full_price = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="Per lecture, for a sliding fee."
    )
    reduced_price = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Per lecture, for anyone who says the full price is more than they can pay.",
    )
    capacity = models.PositiveIntegerField(help_text="Seats; enrolled members plus outstanding offers never exceed it.")
    charge_no_shows = models.BooleanField(
        default=False,
        help_text="Charge members who miss a meeting without notice, like attended meetings. "
        "Each meeting is charged at the fee schedule's group fee, slid to the patient's class.",
    )
    enrollment_opens_on = models.DateField()
    enrollment_closes_on = models.DateField(null=True, blank=True, help_text="Empty: open until the first meeting.")
    room = models.ForeignKey("scheduling.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_telehealth = models.BooleanField(default=False)
    local_start_time = models.TimeField()
    first_meeting_on = models.DateField(help_text="Later meetings fall on the same weekday.")
    meeting_count = models.PositiveIntegerField()
    interval_weeks = models.PositiveSmallIntegerField(default=1)
    outcome_questionnaires = ArrayField(
        models.CharField(max_length=20),
        default=list,
        blank=True,
        help_text="Questionnaires members answer at the first and the last meeting (e.g. pain_nrs, phq9).",
    )
    # Empty once the account that created it is deleted; the program is edited all the same.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["first_meeting_on", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="program_capacity_positive"),
            models.CheckConstraint(condition=Q(meeting_count__gte=1), name="program_has_meetings"),
            # Binding while proposed only: a launched program keeps the minimum it launched on as a record.
            models.CheckConstraint(
                condition=~Q(stage=ProgramStage.PROPOSED)
                | Q(minimum_to_launch__isnull=True)
                | Q(minimum_to_launch__lte=models.F("capacity")),
                name="program_minimum_within_capacity",
            ),
            models.CheckConstraint(
                condition=~Q(stage=ProgramStage.PROPOSED)
                | Q(minimum_to_launch__isnull=False, decision_on__isnull=False),
                name="proposed_program_has_minimum_and_decision_date",
            ),
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1, interval_weeks__lte=4), name="program_interval_1_to_4"
            ),
            models.CheckConstraint(
                condition=Q(is_telehealth=True, room__isnull=True) | Q(is_telehealth=False, room__isnull=False),
                name="program_room_or_telehealth",
            ),
            models.CheckConstraint(
                condition=Q(enrollment_closes_on__isnull=True)
                | Q(enrollment_closes_on__gte=models.F("enrollment_opens_on")),
                name="program_enrollment_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind=ProgramKind.LECTURE, fee_mode__in=LectureFeeMode.values)
                | Q(kind=ProgramKind.GROUP, fee_mode=""),
                name="program_fee_mode_for_lectures_only",
            ),
            models.CheckConstraint(
                condition=Q(
                    fee_mode=LectureFeeMode.SLIDING,
                    full_price__gt=0,
                    reduced_price__gte=0,
                    reduced_price__lte=models.F("full_price"),
                )
                | (~Q(fee_mode=LectureFeeMode.SLIDING) & Q(full_price__isnull=True, reduced_price__isnull=True)),
                name="program_sliding_fee_prices",
            ),
        ]
        triggers = [
            # A lecture series is billed as education, never under a psychotherapy code.
            pgtrigger.Trigger(
                name="lecture_service_not_psychotherapy",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("kind", "service_type_id"),
                condition=pgtrigger.Q(new__kind=ProgramKind.LECTURE),
                # The pattern is PSYCHOTHERAPY_CODE_PATTERN's.
                func="""
                    IF EXISTS (SELECT 1 FROM scheduling_servicetype
                                WHERE id = NEW.service_type_id AND code ~ '^908[0-9][0-9]$') THEN
                        RAISE EXCEPTION 'lecture series % cannot be billed under a psychotherapy code', NEW.id
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
            # The capacity may not drop below the seats already taken or offered.
            pgtrigger.Trigger(
                name="program_capacity_covers_seats",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("capacity"),
                declare=[("taken", "integer")],
                func="""
                    SELECT count(*) INTO taken FROM programs_enrollment
                     WHERE program_id = NEW.id AND status IN ('enrolled', 'offered');
                    IF taken > NEW.capacity THEN
                        RAISE EXCEPTION 'program % capacity % is below % seats taken or offered',
                            NEW.id, NEW.capacity, taken USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_lecture(self) -> bool:
        return self.kind == ProgramKind.LECTURE

    @property
    def pays_at_the_door(self) -> bool:
        """Whether a lecture's public registrants pay as they come in. A series by video has no door, and no online
        payment either: a registrant's fee or donation reaches the clinic however they send it, and staff record it
        as they would at the door (`lectures.lecture_payment_record`)."""
        return not self.is_telehealth

    def lecture_price(self, tier: str) -> "Decimal":
        """What a registrant pays per lecture attended at the price they chose; nothing when the series is free."""
        if self.fee_mode != LectureFeeMode.SLIDING:
            return Decimal("0.00")
        return self.reduced_price if tier == FeeTier.REDUCED else self.full_price


class ProgramMeeting(models.Model):
    """One meeting of a program: its group appointment and its place in the sequence."""

    program = models.ForeignKey(GroupProgram, on_delete=models.CASCADE, related_name="meetings")
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="program_meeting"
    )
    number = models.PositiveIntegerField()

    class Meta:
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="program_meeting_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.program} · meeting {self.number}"


class PublicRegistrant(TimeStampedModel):
    """A member of the public on a lecture series' list: a name and an email, no chart and nothing clinical.

    When the person later becomes a patient the row is linked to their chart rather than copied into it.
    """

    name = models.CharField(max_length=200)
    email = models.EmailField(help_text="Stored in lower case; one registrant per address.")
    patient = models.OneToOneField(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="public_registrant"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="public_registrant_email_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class FeeTier(models.TextChoices):
    # Chosen by the registrant, on their word: nobody is asked to prove they cannot pay the full price.
    FULL = "full", "Full price"
    REDUCED = "reduced", "Reduced price"


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    WAITLISTED = "waitlisted", "Waitlisted"
    OFFERED = "offered", "Seat offered"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Offer expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    COMPLETED = "completed", "Completed"


# A patient holds at most one of these per program at a time.
LIVE_STATUSES = [EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED, EnrollmentStatus.OFFERED]
# These take a seat: enrolled members and outstanding offers together never exceed capacity.
SEATED_STATUSES = [EnrollmentStatus.ENROLLED, EnrollmentStatus.OFFERED]


@pghistory.track()
class Enrollment(TimeStampedModel):
    """A patient's place in a program: a seat, a place in line, or an offer of a seat.

    `waitlist_position` is a ticket: lower goes first; the rank shown to people is computed.
    `offer_count` numbers the offers made on this enrollment, so each offer's notice and
    link are distinct.
    """

    program = models.ForeignKey(GroupProgram, on_delete=models.PROTECT, related_name="enrollments")
    # A patient's place, or (lecture series only) a member of the public's: exactly one of the two.
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="program_enrollments"
    )
    registrant = models.ForeignKey(
        PublicRegistrant, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    offer_count = models.PositiveIntegerField(default=0)
    offered_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it was declined, expired or withdrawn.")
    end_reason = models.CharField(max_length=300, blank=True)
    fee_tier = models.CharField(
        max_length=10, choices=FeeTier.choices, blank=True, help_text="A registrant's chosen price (sliding fee)."
    )
    emails_consented_at = models.DateTimeField(
        null=True, blank=True, help_text="When a registrant agreed to emails about this lecture series."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Anyone may type an address on the public page, so a registration is never the chart's for its address alone:
    # only the ones made before the front desk opened the person's chart with that address, which opening it links
    # (lectures.registrant_link).
    linked_to_chart = models.BooleanField(
        default=False,
        help_text="A registrant's registration taken onto the chart opened with their address: charged on its "
        "account and listed on it. One made on the public page later stays the public's.",
    )

    class Meta:
        ordering = ["program", "created_at"]
        indexes = [
            models.Index(fields=["status", "offer_expires_at"], name="enrollment_offer_due_idx"),
            models.Index(fields=["patient", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "patient"], condition=Q(status__in=LIVE_STATUSES), name="one_live_enrollment"
            ),
            models.UniqueConstraint(
                fields=["program", "registrant"],
                condition=Q(status__in=LIVE_STATUSES),
                name="one_live_registrant_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(patient__isnull=False, registrant__isnull=True)
                | Q(patient__isnull=True, registrant__isnull=False),
                name="enrollment_patient_or_registrant",
            ),
            models.UniqueConstraint(
                fields=["program", "waitlist_position"],
                condition=Q(status=EnrollmentStatus.WAITLISTED),
                name="unique_waitlist_position",
            ),
            models.CheckConstraint(
                condition=Q(status=EnrollmentStatus.WAITLISTED, waitlist_position__isnull=False)
                | (~Q(status=EnrollmentStatus.WAITLISTED) & Q(waitlist_position__isnull=True)),
                name="waitlist_position_iff_waitlisted",
            ),
            models.CheckConstraint(
                condition=~Q(status=EnrollmentStatus.OFFERED) | Q(offer_expires_at__isnull=False),
                name="offer_has_deadline",
            ),
            # A member of the public is written to only with their consent.
            models.CheckConstraint(
                condition=Q(registrant__isnull=True) | Q(emails_consented_at__isnull=False),
                name="registrant_consented_to_emails",
            ),
            models.CheckConstraint(
                condition=Q(linked_to_chart=False) | Q(registrant__isnull=False),
                name="only_a_registration_is_linked_to_a_chart",
            ),
        ]
        triggers = [
            # Backs the services' program-row lock: counting under the same lock means two
            # transactions can never both see the last free seat.
            pgtrigger.Trigger(
                name="enrollment_seats_within_capacity",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("status", "program_id"),
                condition=pgtrigger.Q(new__status__in=SEATED_STATUSES),
                declare=[("cap", "integer"), ("taken", "integer")],
                func="""
                    SELECT capacity INTO cap FROM programs_groupprogram WHERE id = NEW.program_id FOR UPDATE;
                    SELECT count(*) INTO taken FROM programs_enrollment
                     WHERE program_id = NEW.program_id AND status IN ('enrolled', 'offered');
                    IF taken > cap THEN
                        RAISE EXCEPTION 'program % is full (% seats)', NEW.program_id, cap
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient or self.registrant} in {self.program} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def member_name(self) -> str:
        """The name staff see on rosters and sheets: the chart's for a patient, the given one for a registrant."""
        return self.patient.display_name if self.patient_id else self.registrant.name

    @property
    def linked_patient_id(self) -> int | None:
        """The chart a registrant's registration was taken onto (`linked_to_chart`), None for any other."""
        return self.registrant.patient_id if self.linked_to_chart else None

    @property
    def billed_patient(self):
        """Whose ledger a charge for this seat goes to: the patient's, or the chart a registration was linked to;
        None for a member of the public, who pays the clinic directly (a lecture payment)."""
        if self.patient_id:
            return self.patient
        return self.registrant.patient if self.linked_patient_id else None


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    CARD = "card", "Card (at the door)"


class LecturePaymentKind(models.TextChoices):
    FEE = "fee", "Lecture fee"
    DONATION = "donation", "Donation"


class LecturePayment(models.Model):
    """Money a member of the public handed over for a lecture series: a fee or a donation. Registrants have no
    ledger, so this is their record; a correction is a new row (negative amounts are refunds). Append-only."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="lecture_payments")
    kind = models.CharField(max_length=10, choices=LecturePaymentKind.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    submission_key = submission_key_field("payment")

    # True on the payment answered for a submission sent again: the row its first sending recorded.
    replayed = False

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="lecture_payment_not_zero"),
            once_per_submission("one_lecture_payment_per_submission"),
        ]
        triggers = [
            pgtrigger.Protect(name="lecture_payment_append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class WaitlistMove(models.Model):
    """A staff change to the waitlist order, with the reason. Append-only."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="waitlist_moves")
    from_rank = models.PositiveIntegerField()
    to_rank = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moved_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="waitlist_move_has_reason")]
        triggers = [pgtrigger.Protect(name="waitlist_move_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"#{self.from_rank} → #{self.to_rank}"


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"
    EXCUSED = "excused", "Excused absence"


@pghistory.track()
class Attendance(TimeStampedModel):
    """Whether a member came to a meeting. Attended meetings (and no-shows, if the program says so) are charged."""

    meeting = models.ForeignKey(ProgramMeeting, on_delete=models.PROTECT, related_name="attendance")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["meeting", "enrollment"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "enrollment"], name="one_attendance_per_member_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment.member_name} {self.status} at {self.meeting}"


class EnrollmentTransition(Transition):
    """A program enrollment's status change (waitlisted, offered, enrolled, withdrawn, declined, expired…)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="transitions")

    class Meta(Transition.Meta):
        indexes = [models.Index(fields=["to_status", "at"], name="enrol_transition_sweep")]


class StrandedEnrollment(models.Model):
    """A person left waiting with no next step: on a waitlist or interest list longer than the clinic's setting
    with no offer, status notice or alternative in that time. The front desk works these items until resolved;
    an enrollment has at most one open item."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="stranded_items")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"], condition=Q(resolved_at__isnull=True), name="one_open_stranded_item"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution_note="")
                | (Q(resolved_at__isnull=False) & ~Q(resolution_note="")),
                name="stranded_item_resolved_with_note",
            ),
        ]

    def __str__(self) -> str:
        return f"Waiting with no next step: {self.enrollment}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
