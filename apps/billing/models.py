"""Billing: fee configuration, sliding-scale assessments and an append-only ledger.

Ledger rows (charges, payments, adjustments) are never updated or deleted once posted; the database
refuses it (pgtrigger Protect). A mistake is corrected with a reversing row.
"""

import datetime as dt
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from apps.core import clock
from apps.core.models import TimeStampedModel, Transition
from apps.core.money import ZERO, money_text
from apps.core.submissions import once_per_submission, submission_key_field
from apps.core.uploads import unguessable_upload_path

PROTECT_POSTED = pgtrigger.Protect(name="ledger_rows_are_immutable", operation=pgtrigger.Update | pgtrigger.Delete)

# The balance a credit row (payment or adjustment) would leave, with the patient row locked first so that two
# transactions posting at once are checked one after the other (each sees the other's committed row).
_BALANCE_AFTER = """
    PERFORM 1 FROM patients_patient WHERE id = NEW.patient_id FOR UPDATE;
    balance := COALESCE((SELECT SUM(amount) FROM billing_charge WHERE patient_id = NEW.patient_id), 0)
        - COALESCE((SELECT SUM(amount) FROM billing_payment WHERE patient_id = NEW.patient_id), 0)
        - COALESCE((SELECT SUM(amount) FROM billing_adjustment WHERE patient_id = NEW.patient_id), 0)
        - NEW.amount;
"""


def _credit_guard(name: str, *, allowed_below_zero: str, extra_checks: str = "") -> pgtrigger.Trigger:
    """A row trigger refusing a payment or adjustment that would take the balance below zero, unless
    `allowed_below_zero` (an SQL condition on NEW) holds. Reversing rows (negative amounts) raise the balance and
    are not checked."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert,
        when=pgtrigger.Before,
        condition=pgtrigger.Q(new__amount__gt=0),
        declare=[("balance", "numeric")],
        func=f"""
            {_BALANCE_AFTER}
            IF balance < 0 AND NOT ({allowed_below_zero}) THEN
                RAISE EXCEPTION 'Cannot post %: the balance would fall below zero (to %).', TG_TABLE_NAME, balance
                    USING ERRCODE = 'check_violation';
            END IF;
            {extra_checks}
            RETURN NEW;
        """,
    )


PAYMENT_WITHIN_BALANCE = _credit_guard(
    "payment_within_balance_unless_credit",
    allowed_below_zero="NEW.credit_on_account",
    extra_checks="""
            IF NEW.plan_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM billing_paymentplan p WHERE p.id = NEW.plan_id AND p.patient_id = NEW.patient_id
            ) THEN
                RAISE EXCEPTION 'Cannot post payment: the plan is another patient''s.'
                    USING ERRCODE = 'check_violation';
            END IF;
    """,
)
ADJUSTMENT_WITHIN_BALANCE = _credit_guard(
    "adjustment_within_balance_and_charge",
    allowed_below_zero="FALSE",
    extra_checks="""
            IF NEW.charge_id IS NOT NULL AND (
                SELECT c.patient_id <> NEW.patient_id
                    OR c.amount < NEW.amount + COALESCE(
                        (SELECT SUM(a.amount) FROM billing_adjustment a WHERE a.charge_id = c.id), 0)
                FROM billing_charge c WHERE c.id = NEW.charge_id
            ) THEN
                RAISE EXCEPTION 'Cannot post adjustment: more than is left of the charge, or another patient''s.'
                    USING ERRCODE = 'check_violation';
            END IF;
    """,
)


def proof_upload_path(instance, filename: str) -> str:
    return unguessable_upload_path("billing/proof", filename)


@pghistory.track()
class FeeSchedule(TimeStampedModel):
    """The full fee of a service type from a date on; the row with the latest effective date wins."""

    service_type = models.ForeignKey("scheduling.ServiceType", on_delete=models.PROTECT, related_name="+")
    full_fee = models.DecimalField(max_digits=9, decimal_places=2)
    effective_from = models.DateField()

    class Meta:
        ordering = ["service_type__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "effective_from"], name="one_fee_per_service_and_date"),
            models.CheckConstraint(condition=Q(full_fee__gte=0), name="fee_schedule_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type.code} {money_text(self.full_fee)} from {self.effective_from}"


class GuidelineRegion(models.TextChoices):
    CONTIGUOUS = "contiguous", "48 contiguous states and DC"
    ALASKA = "alaska", "Alaska"
    HAWAII = "hawaii", "Hawaii"


@pghistory.track()
class PovertyGuideline(TimeStampedModel):
    """HHS poverty guideline for a year and region: the amount for one person plus each additional person."""

    year = models.PositiveSmallIntegerField()
    region = models.CharField(max_length=20, choices=GuidelineRegion.choices, default=GuidelineRegion.CONTIGUOUS)
    first_person = models.DecimalField(max_digits=9, decimal_places=2)
    each_additional_person = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["-year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="one_guideline_per_year_and_region"),
            models.CheckConstraint(
                condition=Q(first_person__gt=0, each_additional_person__gte=0), name="guideline_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_region_display()}"


@pghistory.track()
class SlidingScaleSchedule(TimeStampedModel):
    """The class table in force from a date on, with its nominal fee and the late-cancel / no-show policy fee."""

    name = models.CharField(max_length=100, default="HRSA sliding fee discount")
    effective_from = models.DateField(unique=True)
    region = models.CharField(max_length=20, choices=GuidelineRegion.choices, default=GuidelineRegion.CONTIGUOUS)
    nominal_fee = models.DecimalField(max_digits=9, decimal_places=2)
    late_cancel_fee = models.DecimalField(
        "Late-cancel / no-show policy fee",
        max_digits=9,
        decimal_places=2,
        help_text="Charged for a late cancellation or a no-show, reduced by the patient's class like any fee.",
    )

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nominal_fee__gte=0, late_cancel_fee__gte=0), name="scale_fees_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} from {self.effective_from}"


class FeeBasis(models.TextChoices):
    NOMINAL = "nominal", "Nominal fee"
    PERCENT = "percent", "Percent of full fee"


@pghistory.track()
class SlidingScaleClass(TimeStampedModel):
    """One row of the class table: incomes up to `max_percent` of the guideline (inclusive) pay this fee.

    The top class has no upper bound (max_percent empty).
    """

    schedule = models.ForeignKey(SlidingScaleSchedule, on_delete=models.CASCADE, related_name="classes")
    code = models.CharField(max_length=10)
    label = models.CharField(max_length=100)
    max_percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    basis = models.CharField(max_length=10, choices=FeeBasis.choices, default=FeeBasis.PERCENT)
    percent_of_full = models.DecimalField(max_digits=5, decimal_places=2, default=100)

    class Meta:
        ordering = ["schedule", F("max_percent").asc(nulls_last=True)]
        verbose_name_plural = "sliding scale classes"
        constraints = [
            models.UniqueConstraint(fields=["schedule", "code"], name="class_code_unique_in_schedule"),
            models.UniqueConstraint(fields=["schedule", "max_percent"], name="class_bound_unique_in_schedule"),
            models.UniqueConstraint(
                fields=["schedule"], condition=Q(max_percent__isnull=True), name="one_open_ended_class"
            ),
            models.CheckConstraint(
                condition=Q(percent_of_full__gte=0, percent_of_full__lte=100), name="class_percent_0_to_100"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class AssessmentStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


@pghistory.track()
class SlidingScaleAssessment(TimeStampedModel):
    """A patient's attested household size and income, reviewed by billing. Approved ones set the fee
    from `effective_from` until `expires_on` (exclusive), twelve months later."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="fee_assessments")
    household_size = models.PositiveSmallIntegerField()
    annual_income = models.DecimalField(max_digits=11, decimal_places=2)
    proof = models.FileField(upload_to=proof_upload_path, blank=True)
    guideline_year = models.PositiveSmallIntegerField()
    percent_of_guideline = models.DecimalField(max_digits=8, decimal_places=2)
    class_code = models.CharField(max_length=10)
    class_label = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    override_fee = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="A fixed per-session fee instead of the class."
    )
    override_reason = models.CharField(max_length=300, blank=True)
    override_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reattestation_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "status", "effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(household_size__gte=1, household_size__lte=20), name="household_size_1_to_20"
            ),
            models.CheckConstraint(condition=Q(annual_income__gte=0), name="income_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(effective_from__isnull=False, expires_on__gt=F("effective_from"), reviewed_by__isnull=False),
                name="approved_assessment_has_period_and_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="rejected_assessment_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(override_fee__isnull=True)
                | (Q(override_fee__gte=0, override_approved_by__isnull=False) & ~Q(override_reason="")),
                name="override_has_reason_and_approver",
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="pending"), name="one_pending_assessment_per_patient"
            ),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.pk} ({self.get_status_display()})"

    @property
    def has_override(self) -> bool:
        return self.override_fee is not None


class ChargeKind(models.TextChoices):
    SESSION = "session", "Session"
    LATE_CANCEL = "late_cancel", "Late cancellation"
    NO_SHOW = "no_show", "No-show"
    GROUP = "group", "Group meeting"
    PACKAGE = "package", "Session package"


class Charge(models.Model):
    """A fee owed. The fee, the full fee and the class it was computed with are frozen here."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(max_length=20, choices=ChargeKind.choices)
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    service_type = models.ForeignKey("scheduling.ServiceType", on_delete=models.PROTECT, related_name="+")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    service_date = models.DateField()
    description = models.CharField(max_length=200)
    full_fee = models.DecimalField(max_digits=9, decimal_places=2)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    class_code = models.CharField(max_length=10)
    class_label = models.CharField(max_length=100)
    assessment = models.ForeignKey(
        SlidingScaleAssessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["service_date", "id"]
        # By session day for the account and superbills; by posting time for statements and their balances.
        indexes = [models.Index(fields=["patient", "service_date"]), models.Index(fields=["patient", "posted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0, amount__lte=F("full_fee")), name="charge_between_zero_and_full"
            ),
            models.UniqueConstraint(
                fields=["appointment", "patient", "kind"], name="one_charge_per_appointment_patient_kind"
            ),
        ]
        triggers = [PROTECT_POSTED]

    def __str__(self) -> str:
        return f"{self.description} {money_text(self.amount)}"

    @property
    def description_shown(self) -> str:
        """The line as people read it. Lines posted before descriptions named the service carry its billing code
        instead ("Late cancellation fee (90834 session)", "Individual psychotherapy, 45 min (90834)"); posted rows
        are never rewritten, so they are read with the name here. Reads `service_type`: select it."""
        service = self.service_type
        text = self.description.replace(f"({service.code} session)", f"({service.name})")
        return text.removesuffix(f" ({service.code})")

    @property
    def discount(self):
        return self.full_fee - self.amount


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    CARD_PRESENT = "card_present", "Card (in person)"
    CARD_ONLINE = "card_online", "Card (online)"


class Payment(models.Model):
    """Money received (positive) or refunded (negative, pointing at the payment it refunds).

    A payment never takes the balance below zero unless it is recorded as a credit on account (enforced by a
    trigger); a refund can always be posted.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    received_at = models.DateTimeField()
    reference = models.CharField(max_length=100, blank=True, help_text="Check number or card last digits.")
    provider = models.CharField(max_length=20, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    receipt_number = models.CharField(max_length=20, unique=True)
    refund_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    note = models.CharField(max_length=200, blank=True)
    plan = models.ForeignKey(
        "PaymentPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text="The payment plan this payment was made against; only these count toward the plan.",
    )
    credit_on_account = models.BooleanField(
        default=False,
        help_text="Taken knowing it pays more than the balance: the excess is the patient's credit, which the next "
        "charges use up.",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submission_key = submission_key_field("payment")

    # True on the payment (or refund) answered for a submission sent again: the row its first sending recorded.
    replayed = False

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["patient", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_of__isnull=True, amount__gt=0) | Q(refund_of__isnull=False, amount__lt=0),
                name="payment_positive_refund_negative",
            ),
            models.CheckConstraint(
                condition=Q(credit_on_account=False) | Q(refund_of__isnull=True), name="refund_is_never_a_credit"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="one_row_per_provider_reference",
            ),
            once_per_submission("one_payment_per_submission"),
        ]
        triggers = [PROTECT_POSTED, PAYMENT_WITHIN_BALANCE]

    def __str__(self) -> str:
        return f"Receipt {self.receipt_number}"

    @property
    def is_refund(self) -> bool:
        return self.refund_of_id is not None

    @property
    def receipt_amount(self) -> Decimal:
        """What changed hands, as a receipt states it: a refund's row is negative (it raises the balance), while its
        receipt says how much went back to the patient."""
        return -self.amount if self.is_refund else self.amount


class AdjustmentKind(models.TextChoices):
    WRITE_OFF = "write_off", "Write-off"
    COURTESY = "courtesy", "Courtesy discount"
    CORRECTION = "correction", "Correction"
    PACKAGE_REFUND = "package_refund", "Unused package sessions"


class Adjustment(models.Model):
    """A credit (positive, lowers the balance) or a reversal of one (negative, pointing at it).

    An adjustment never takes the balance below zero, nor credits a charge beyond its amount (enforced by a
    trigger).
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=20, choices=AdjustmentKind.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(max_length=300)
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submission_key = submission_key_field("adjustment")

    # True on the adjustment answered for a submission sent again: the row its first sending posted.
    replayed = False

    class Meta:
        ordering = ["posted_at", "id"]
        indexes = [models.Index(fields=["patient", "posted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount__gt=0) | Q(reverses__isnull=False, amount__lt=0),
                name="adjustment_positive_reversal_negative",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
            once_per_submission("one_adjustment_per_submission"),
        ]
        triggers = [PROTECT_POSTED, ADJUSTMENT_WITHIN_BALANCE]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {money_text(self.amount)}"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


@pghistory.track()
class PaymentPlan(TimeStampedModel):
    """A balance split into scheduled instalments. Payments made against the plan count towards its instalments
    in due order; once they cover the total the plan is completed."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="payment_plans")
    total = models.DecimalField(max_digits=9, decimal_places=2)
    starts_on = models.DateField()
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When nothing was left to pay; a refund or reversal of earlier money reopens."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
            models.CheckConstraint(
                condition=Q(status="completed") | Q(completed_at__isnull=True), name="plan_completed_at_when_completed"
            ),
            models.UniqueConstraint(fields=["patient"], condition=Q(status="active"), name="one_active_plan"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} {money_text(self.total)}"


class PlanInstalment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    overdue_reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient was reminded that this installment is overdue (once)."
    )

    class Meta:
        verbose_name = "plan installment"
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
            models.UniqueConstraint(fields=["plan", "due_on"], name="one_instalment_per_plan_day"),
        ]

    def __str__(self) -> str:
        return f"{money_text(self.amount)} due {self.due_on}"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"


class CheckoutSession(TimeStampedModel):
    """A card payment the patient started in the portal; the provider's webhook settles it."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="checkout_sessions")
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    provider = models.CharField(max_length=20)
    provider_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    redirect_url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    plan = models.ForeignKey(
        PaymentPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkout_sessions",
        help_text="The payment plan this card payment is made against (an installment paid in the portal).",
    )
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="checkout")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False), name="paid_checkout_has_payment"
            ),
        ]


class CardRefundStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the card provider"
    REFUNDED = "refunded", "Refunded"
    FAILED = "failed", "Refused by the card provider"


@pghistory.track()
class CardRefund(models.Model):
    """A refund of an online card payment, recorded and committed before the provider is asked for it.

    The provider is asked with this row's idempotency key, so asking again (a retry after a timeout) refunds once.
    The reversing ledger row is posted when the provider confirms, by the request itself, the provider's refund
    event or the retry task, whichever comes first; while pending, its amount is not offered for another refund.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="card_refunds")
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    status = models.CharField(max_length=10, choices=CardRefundStatus.choices, default=CardRefundStatus.PENDING)
    idempotency_key = models.CharField(max_length=100, unique=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    refund = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="card_refund_request"
    )
    note = models.CharField(max_length=200)
    failure = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField(null=True, blank=True)
    submission_key = submission_key_field("card refund")

    # True on the request answered for a submission sent again: the one its first sending recorded.
    replayed = False

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="card_refund_amount_positive"),
            once_per_submission("one_card_refund_per_submission"),
            models.CheckConstraint(
                condition=Q(status="refunded", refund__isnull=False) | (~Q(status="refunded") & Q(refund__isnull=True)),
                name="card_refund_posted_once_refunded",
            ),
        ]

    def __str__(self) -> str:
        return f"Card refund {self.pk} ({self.status})"


class ProviderEvent(models.Model):
    """Each payment-provider event applied, by its id: a replayed or duplicated event is applied at most once."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class StatementCounting(models.TextChoices):
    """Which lines a statement holds. A statement lists what was posted since the patient's last statement was
    issued (for their first, since its month began) up to its own issue, so each line is on exactly one statement
    and each opens where the last closed. Those issued before that rule keep reading as they were issued, so their
    lines still add up to their stored balances: what was posted in their month (then what followed up to their
    issue, listed again on the next), or before that their charges by session date."""

    POSTED = "posted", "Posted in the period"
    SESSION_DATE = "session_date", "Sessions in the period"
    SINCE_LAST = "since_last", "Posted since the last statement, up to this one"


class Statement(models.Model):
    """A monthly statement issued to a patient; its lines are read from the ledger for the period. What it asks the
    patient to pay is kept as it was at issue: money moves after the period ends (and may be recorded with an
    earlier date later), and a statement once sent never changes."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="statements")
    period_start = models.DateField()
    period_end = models.DateField()
    opening_balance = models.DecimalField(max_digits=11, decimal_places=2)
    # Where the statement closes: the balance at its issue, where the next one opens (counted since the last
    # statement); on those issued before, the balance at the end of the month.
    closing_balance = models.DecimalField(max_digits=11, decimal_places=2)
    issued_at = models.DateTimeField()
    # The balance at the moment of issue: the month's lines plus what was posted since the period ended.
    balance_at_issue = models.DecimalField(max_digits=11, decimal_places=2)
    # The active payment plan's next instalment at issue, asked for instead of the whole balance; empty without one.
    instalment_due = models.DecimalField("installment due", max_digits=9, decimal_places=2, null=True, blank=True)
    instalment_due_on = models.DateField("installment due on", null=True, blank=True)
    # Empty for the monthly run that beat starts.
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    counted = models.CharField(max_length=12, choices=StatementCounting.choices, db_default=StatementCounting.POSTED)
    # Counted since the last statement: that statement's moment of issue, after which this one's lines begin (its
    # opening balance is that statement's closing one). Empty for a patient's first, which begins with its month.
    opens_after = models.DateTimeField(null=True, blank=True)

    # True on the statement `statement_issue` answers when the month's was issued already: nothing was sent again.
    replayed = False

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "period_start"], name="one_statement_per_patient_period"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="statement_period_ordered"),
            models.CheckConstraint(
                condition=Q(instalment_due__isnull=True, instalment_due_on__isnull=True)
                | Q(instalment_due__gt=0, instalment_due_on__isnull=False),
                name="statement_instalment_with_its_day",
            ),
        ]
        triggers = [PROTECT_POSTED]

    def __str__(self) -> str:
        return f"Statement {self.period_start:%B %Y}"

    @property
    def opened_on(self) -> dt.date:
        """The day its lines begin: the day the patient's last statement was issued, else its month's first day."""
        if self.opens_after is None:
            return self.period_start
        return timezone.localtime(self.opens_after, clock.clinic_tz()).date()

    @property
    def issued_on(self) -> dt.date:
        return timezone.localtime(self.issued_at, clock.clinic_tz()).date()

    @property
    def due_on(self) -> dt.date:
        """The day the balance is asked for: CLINIC_STATEMENT_DUE_DAYS after the (local) day it was issued."""
        return self.issued_on + dt.timedelta(days=settings.CLINIC_STATEMENT_DUE_DAYS)

    @property
    def asks_for(self) -> str:
        """What the statement asks the patient to pay: the payment plan's next "instalment" when one was due at
        issue, else the "balance" at issue, or "nothing" when they owed nothing (or were in credit)."""
        if self.instalment_due is not None:
            return "instalment"
        return "balance" if self.balance_at_issue > 0 else "nothing"

    @property
    def amount_due(self) -> Decimal:
        return {"instalment": self.instalment_due, "balance": self.balance_at_issue}.get(self.asks_for, ZERO)

    @property
    def pay_by(self) -> dt.date:
        return self.instalment_due_on or self.due_on


# A superbill (the CMS-1500 convention) letters the patient's diagnoses A to L and each line points at them by
# letter: twelve is as many as a patient's confirmed codes may number.
DIAGNOSIS_POINTER_LETTERS = "ABCDEFGHIJKL"
MAX_DIAGNOSES = len(DIAGNOSIS_POINTER_LETTERS)


@pghistory.track()
class BillingProfile(TimeStampedModel):
    """What a superbill needs beyond the ledger: the patient's confirmed ICD-10 diagnosis codes, primary first, at
    most twelve (`MAX_DIAGNOSES`, held in the database too).

    Codes read from a signed intake note wait in `proposed_diagnosis_codes` until billing staff confirm them: a
    superbill only ever carries codes a person has checked."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.CASCADE, related_name="billing_profile")
    diagnosis_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    proposed_diagnosis_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    Func(F("diagnosis_codes"), function="cardinality", output_field=models.IntegerField()),
                    MAX_DIAGNOSES,
                ),
                name="billing_profile_at_most_twelve_diagnoses",
            )
        ]

    def __str__(self) -> str:
        return f"Billing profile of patient {self.patient_id}"

    def codes_confirming(self) -> tuple[list[str], list[str]]:
        """The confirmed codes once the proposed ones join them (after them, each code once), and the proposed codes
        left off because a superbill letters no more than twelve."""
        codes = list(dict.fromkeys([*self.diagnosis_codes, *self.proposed_diagnosis_codes]))
        return codes[:MAX_DIAGNOSES], codes[MAX_DIAGNOSES:]


class EstimateReason(models.TextChoices):
    SERIES_BOOKED = "series_booked", "Weekly sessions booked"
    INTAKE_BOOKED = "intake_booked", "Intake booked"
    FEE_CLASS_CHANGED = "fee_class_changed", "Fee class changed"
    SESSION_MOVED = "session_moved", "Session moved online"
    PATIENT_REQUESTED = "patient_requested", "Requested by the patient"


class GoodFaithEstimate(models.Model):
    """A Good Faith Estimate (No Surprises Act) as issued: the expected services, each priced at the patient's class
    on the day of issue, with the provider and clinic identifiers of that day. The row is the record of issue and
    never changes; a new class issues a new estimate that `replaces` this one."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="good_faith_estimates")
    reason = models.CharField(max_length=30, choices=EstimateReason.choices)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    class_code = models.CharField(max_length=10)
    class_label = models.CharField(max_length=100)
    period_start = models.DateField()
    period_end = models.DateField()
    # [{service_type_id, cpt, description, fee, expected_count, amount, therapist_id, provider_name, provider_npi,
    #   provider_license}], amounts as strings of Decimal.
    lines = models.JSONField()
    total = models.DecimalField(max_digits=11, decimal_places=2)
    clinic = models.JSONField(help_text="The clinic's name, address, tax ID and NPI on the day of issue")
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="estimate_period_ordered"),
            models.CheckConstraint(condition=Q(total__gte=0), name="estimate_total_not_negative"),
        ]
        triggers = [PROTECT_POSTED]

    def __str__(self) -> str:
        return f"Good Faith Estimate of {self.issued_at:%Y-%m-%d}"


class AssessmentTransition(Transition):
    """A sliding-scale assessment's status change (attested → pending, approved, rejected)."""

    assessment = models.ForeignKey(SlidingScaleAssessment, on_delete=models.CASCADE, related_name="transitions")

    class Meta(Transition.Meta):
        indexes = [models.Index(fields=["to_status", "at"], name="assess_transition_sweep")]


@pghistory.track()
class PackageOffering(TimeStampedModel):
    """A bundle the clinic sells: `session_count` sessions of one service for a bundled full price, which slides
    with the buyer's class like a session fee (pricing.package_price)."""

    name = models.CharField(max_length=100, unique=True)
    service_type = models.ForeignKey("scheduling.ServiceType", on_delete=models.PROTECT, related_name="+")
    session_count = models.PositiveSmallIntegerField()
    full_price = models.DecimalField(max_digits=9, decimal_places=2)
    slides_with_class = models.BooleanField(
        default=True,
        help_text="Priced at the buyer's sliding-scale class, so it is sold only to patients with an approved "
        "assessment in force; otherwise everyone pays the full price.",
    )
    valid_days = models.PositiveSmallIntegerField(default=120, help_text="Days from purchase the sessions can be used.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(session_count__gte=1, session_count__lte=52), name="package_1_to_52"),
            models.CheckConstraint(condition=Q(full_price__gt=0), name="package_price_positive"),
            models.CheckConstraint(condition=Q(valid_days__gte=7), name="package_valid_at_least_a_week"),
        ]

    def __str__(self) -> str:
        return self.name


class PackageStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    USED_UP = "used_up", "Used up"
    REFUNDED = "refunded", "Refunded (unused sessions credited)"
    CANCELLED = "cancelled", "Cancelled (no session used, price credited)"
    EXPIRED = "expired", "Expired (unused sessions lapsed)"


@pghistory.track()
class PackagePurchase(TimeStampedModel):
    """A patient's package: the offering's terms and the slid price frozen at sale, and how many sessions are used.

    `sessions_used` only grows, one per covered appointment (PackageSession), and never passes the total."""

    offering = models.ForeignKey(PackageOffering, on_delete=models.PROTECT, related_name="purchases")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="packages")
    service_type = models.ForeignKey("scheduling.ServiceType", on_delete=models.PROTECT, related_name="+")
    sessions_total = models.PositiveSmallIntegerField()
    sessions_used = models.PositiveSmallIntegerField(default=0)
    full_price = models.DecimalField(max_digits=9, decimal_places=2)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    class_code = models.CharField(max_length=10)
    class_label = models.CharField(max_length=100)
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="package_purchase")
    purchased_on = models.DateField()
    expires_on = models.DateField(help_text="Sessions on or after this day are not covered.")
    status = models.CharField(max_length=10, choices=PackageStatus.choices, default=PackageStatus.ACTIVE)
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    credited = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.CharField(max_length=300, blank=True)
    submission_key = submission_key_field("package sale")
    close_submission_key = submission_key_field("package refund")
    replayed = False  # set on the package a sale or a refund sent again answers (apps.core.submissions)

    class Meta:
        ordering = ["-purchased_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions_used__gte=0, sessions_used__lte=F("sessions_total"), sessions_total__gte=1),
                name="package_used_within_total",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0, price__lte=F("full_price")), name="package_price_within_full"
            ),
            models.CheckConstraint(condition=Q(expires_on__gt=F("purchased_on")), name="package_expires_after_sale"),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(sessions_used__lt=F("sessions_total")),
                name="active_package_has_sessions_left",
            ),
            models.CheckConstraint(
                condition=~Q(status="used_up") | Q(sessions_used=F("sessions_total")),
                name="used_up_package_is_fully_used",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["refunded", "cancelled"])
                | (Q(credited__isnull=False, closed_at__isnull=False) & ~Q(close_reason="")),
                name="closed_package_has_credit_and_reason",
            ),
            models.UniqueConstraint(
                fields=["patient", "offering"], condition=Q(status="active"), name="one_active_package_per_offering"
            ),
            once_per_submission("one_package_sale_per_submission"),
            once_per_submission("one_package_refund_per_submission", field="close_submission_key"),
        ]

    def __str__(self) -> str:
        return f"{self.offering.name} ({self.sessions_used} of {self.sessions_total} used)"

    @property
    def sessions_remaining(self) -> int:
        return self.sessions_total - self.sessions_used

    @property
    def has_lapsed(self) -> bool:
        """Past its use-by day with sessions left: nothing more is covered, though the status still says active
        until the next sale of the same package closes it as expired."""
        return self.status == PackageStatus.ACTIVE and clock.local_now().date() >= self.expires_on

    @property
    def status_shown(self) -> str:
        """The status as the patient's and staff's package lists word it: a lapsed package reads as expired."""
        return PackageStatus.EXPIRED.label if self.has_lapsed else self.get_status_display()


# Covers can never outnumber the package's sessions: with (purchase, number) unique, numbers past the total are
# refused here, whatever the counter on the purchase says.
PACKAGE_SESSION_WITHIN_TOTAL = pgtrigger.Trigger(
    name="package_session_within_total",
    operation=pgtrigger.Insert,
    when=pgtrigger.Before,
    func="""
        IF NEW.number > (SELECT sessions_total FROM billing_packagepurchase WHERE id = NEW.purchase_id) THEN
            RAISE EXCEPTION 'Cannot cover session %: the package has fewer sessions.', NEW.number
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    """,
)


class PackageSession(models.Model):
    """One appointment covered by a package, with the zero-amount ledger line that stands for its charge."""

    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="sessions")
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="package_session"
    )
    number = models.PositiveSmallIntegerField()
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="package_session")
    consumed_at = models.DateTimeField()

    class Meta:
        ordering = ["purchase", "number"]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "number"], name="package_session_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="package_session_number_from_one"),
        ]
        triggers = [PROTECT_POSTED, PACKAGE_SESSION_WITHIN_TOTAL]

    def __str__(self) -> str:
        return f"Session {self.number} of package {self.purchase_id}"
