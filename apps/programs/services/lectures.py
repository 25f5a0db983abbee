"""Lecture series open to the public: registration by name and email, the registrant's own link, fees and the
payments staff record (at the door, or sent to the clinic for a series by video), and linking a registrant to the
chart they later open.

A registrant holds a seat (or a place in line) in the same count as patients, through the seat engine in `seats`;
they are written to only by email, through the outbox, with the consent they gave when registering.
"""

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, Unprocessable
from apps.core.money import money_text
from apps.core.submissions import RecordedOnce, Sending

from ..models import (
    LIVE_STATUSES,
    Enrollment,
    EnrollmentStatus,
    FeeTier,
    GroupProgram,
    LectureFeeMode,
    LecturePayment,
    LecturePaymentKind,
    PaymentMethod,
    ProgramKind,
    ProgramStage,
    PublicRegistrant,
)
from .formation import interest_register
from .seats import (
    enrollment_accept_offer,
    enrollment_decline_offer,
    enrollment_lock,
    enrollment_notify,
    enrollment_window_check,
    enrollment_withdraw,
    program_lock,
    seat_or_place_in_line,
)

ALREADY_REGISTERED = (
    "This email address is already registered for this lecture series. The confirmation email has the link to "
    "manage the registration."
)
CONSENT_ASKED = "Tick the box to agree to emails about this lecture series: they carry your seat and its link."


def lectures_open_q():
    """Lecture series a visitor may register for today: launched and inside their enrollment window, or proposed
    and not yet decided (registering there is joining the interest list)."""
    today = clock.local_now().date()
    launched = Q(stage=ProgramStage.LAUNCHED, enrollment_opens_on__lte=today) & (
        Q(enrollment_closes_on__gte=today) | Q(enrollment_closes_on__isnull=True, first_meeting_on__gte=today)
    )
    proposed = Q(stage=ProgramStage.PROPOSED, decision_on__gte=today)
    return Q(kind=ProgramKind.LECTURE) & (launched | proposed)


def _normalized_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(
            "Enter a valid email address.", fields={"email": ["Enter a valid email address."]}
        ) from exc
    return email


def _registrant_for(*, name: str, email: str) -> PublicRegistrant:
    """The registrant with this address, locked, or a new one. The address is unique without case in the database,
    so two visitors registering the same address at once end with one row."""
    existing = PublicRegistrant.objects.select_for_update().filter(email=email).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PublicRegistrant.objects.create(name=name, email=email)
    except IntegrityError:
        return PublicRegistrant.objects.select_for_update().get(email=email)


@transaction.atomic
def lecture_register(
    *, program: GroupProgram, name: str, email: str, fee_tier: str = "", consent: bool, actor=None
) -> Enrollment:
    """Register a member of the public for a lecture series: a seat if one is free, else a place in line; for a
    proposed series, a place on its interest list (`formation.interest_register`), in the order people joined.

    Only a name and an email are kept (the email in lower case, one registrant per address, reused across series).
    An address that is a patient's registers like any other, as a member of the public paying the clinic: the
    public answer never tells whether someone is a patient of the clinic, and a registration nobody signed in for
    never reaches a chart or its account (a visitor could type anyone's address), even when the address's registrant
    is linked to one (the registration is not `linked_to_chart`). The registrant is emailed a confirmation with a
    signed link to manage it.
    """
    name = " ".join((name or "").split())
    if not name:
        raise Unprocessable("Enter your name.", fields={"name": ["Required."]})
    if len(name) > 200:
        raise Unprocessable("The name is too long.", fields={"name": ["At most 200 characters."]})
    email = _normalized_email(email)
    if not consent:
        raise Unprocessable(CONSENT_ASKED, fields={"consent": ["Required."]})
    program = program_lock(program.pk)
    if program.kind != ProgramKind.LECTURE or program.stage == ProgramStage.NOT_LAUNCHED:
        raise Unprocessable("This is not a lecture series open to the public.")
    proposed = program.stage == ProgramStage.PROPOSED
    if proposed and program.decision_on < clock.local_now().date():
        raise Unprocessable("The interest list for this lecture series has closed.")
    if not proposed:
        enrollment_window_check(program, by_staff=False)
    if program.fee_mode == LectureFeeMode.SLIDING:
        if fee_tier not in FeeTier.values:
            raise Unprocessable("Choose the price you will pay.", fields={"fee_tier": ["Full or reduced."]})
    else:
        fee_tier = ""
    registrant = _registrant_for(name=name, email=email)
    if program.enrollments.filter(registrant=registrant, status__in=LIVE_STATUSES).exists():
        raise Conflict(ALREADY_REGISTERED, fields={"email": ["Already registered."]})
    if proposed:
        # The consent ticked on the form is the agreement to emails the interest list's notices rely on.
        enrollment = interest_register(
            program=program, registrant=registrant, fee_tier=fee_tier, emails_consented_at=clock.now(), actor=actor
        )
        enrollment_notify(
            enrollment,
            template="interest_registered",
            context={"decision_on": program.decision_on.isoformat(), "minimum": program.minimum_to_launch},
        )
    else:
        enrollment = seat_or_place_in_line(
            program, actor=actor, registrant=registrant, fee_tier=fee_tier, emails_consented_at=clock.now()
        )
        if enrollment.status == EnrollmentStatus.WAITLISTED:
            enrollment_notify(enrollment, template="enrollment_waitlisted")
    access_log_write(
        actor=actor,
        action="lecture_register",
        subject=enrollment,
        detail={"program": program.pk, "status": enrollment.status, "fee_tier": fee_tier},
    )
    return enrollment


def registrant_enrollment(enrollment_id: int) -> Enrollment | None:
    """A registrant's enrollment named by their signed link (None when the link names anything else)."""
    return (
        Enrollment.objects.select_related("program", "registrant")
        .filter(pk=enrollment_id, registrant__isnull=False)
        .first()
    )


@transaction.atomic
def lecture_registration_cancel(*, enrollment: Enrollment, actor=None) -> Enrollment:
    """The registrant gives up their seat or place in line (from their link, or at the front desk's hand); a freed
    seat goes to the next in line at once."""
    if enrollment.registrant_id is None:
        raise InvalidTransition("Only a public registration is cancelled here.")
    enrollment = enrollment_withdraw(actor=actor, enrollment=enrollment, reason="Cancelled the lecture registration.")
    access_log_write(actor=actor, action="lecture_registration_cancel", subject=enrollment, detail={})
    return enrollment


def lecture_payment_kinds(program) -> list[tuple[str, str]]:
    """What can be taken from a registrant, for the form to offer and the service to accept: a fee only where the
    series charges one, a donation always."""
    if program.fee_mode == LectureFeeMode.SLIDING:
        return LecturePaymentKind.choices
    return [(LecturePaymentKind.DONATION.value, LecturePaymentKind.DONATION.label)]


def lecture_payment_methods(program) -> list[tuple[str, str]]:
    """How a registrant's payment was made, as the form offers it and a recorded payment is described: a card is
    taken "at the door" only where there is one (`GroupProgram.pays_at_the_door`)."""
    if program.pays_at_the_door:
        return PaymentMethod.choices
    return [(value, "Card" if value == PaymentMethod.CARD else label) for value, label in PaymentMethod.choices]


LECTURE_PAYMENT_ONCE = RecordedOnce(
    model=LecturePayment,
    noun="payment",
    elsewhere="for another registration",
    described=lambda payment: (
        f"{money_text(payment.amount)} ({payment.get_kind_display().lower()}, "
        f"{dict(lecture_payment_methods(payment.enrollment.program))[payment.method].lower()})"
    ),
)


@transaction.atomic
def lecture_payment_record(
    *,
    actor,
    enrollment: Enrollment,
    kind: str,
    amount: Decimal,
    method: str,
    submission_key: uuid.UUID | None = None,
) -> LecturePayment:
    """Money a registrant paid the clinic, at the door or (for a series by video, which has no online payment)
    however they sent it: a lecture fee or a donation (a negative amount refunds). A registrant has no ledger, so
    this row is the record; a linked patient's fees go to their ledger instead.

    One `submission_key` (the form's) records at most one payment: sent again, it answers the payment it recorded
    (`replayed` set); with another registration, kind, amount or method it is refused (409)."""
    program_lock(enrollment.program_id)  # program first, then the enrollment, as a cancellation racing it takes them
    enrollment = enrollment_lock(enrollment.pk)
    if enrollment.registrant_id is None or not enrollment.program.is_lecture:
        raise Unprocessable("Lecture payments are for public lecture registrations.")
    if kind not in LecturePaymentKind.values:
        raise Unprocessable("Choose a fee or a donation.", fields={"kind": ["Fee or donation."]})
    if method not in PaymentMethod.values:
        raise Unprocessable("Choose how it was paid.", fields={"method": ["Cash, check or card."]})
    if amount is None or amount == 0 or amount.as_tuple().exponent < -2:
        raise Unprocessable("Enter the amount in dollars and cents.", fields={"amount": ["Not zero."]})
    if kind not in dict(lecture_payment_kinds(enrollment.program)):
        raise Unprocessable("This lecture series is free: record a donation.", fields={"kind": ["Donation."]})
    sending = Sending(
        key=submission_key,
        owner={"enrollment_id": enrollment.pk},
        content={"kind": kind, "amount": amount, "method": method},
    )
    if (recorded := LECTURE_PAYMENT_ONCE.recorded(sending)) is not None:  # before the refund's check of what is paid
        return recorded
    if amount < 0:
        _refund_within_paid(enrollment=enrollment, kind=kind, refund=-amount)
    payment = LECTURE_PAYMENT_ONCE.record(
        sending,
        lambda: LecturePayment.objects.create(
            enrollment=enrollment,
            kind=kind,
            amount=amount,
            method=method,
            received_by=actor,
            submission_key=submission_key,
        ),
    )
    access_log_write(
        actor=actor,
        action="lecture_payment_record",
        subject=payment,
        detail={"enrollment": enrollment.pk, "kind": kind, "amount": str(amount), "method": method},
    )
    return payment


def _refund_within_paid(*, enrollment: Enrollment, kind: str, refund: Decimal) -> None:
    """A refund gives back at most what the registration has paid so far for that kind (fees, or donations). Read
    under the enrollment's lock, which every lecture payment takes first, so no payment can land between this sum
    and the refund."""
    paid = LecturePayment.objects.filter(enrollment=enrollment, kind=kind).aggregate(total=Sum("amount"))["total"]
    paid = paid or Decimal("0.00")
    if refund > paid:
        label = LecturePaymentKind(kind).label.lower()
        raise Unprocessable(
            f"Only {money_text(paid)} was paid in {label}s on this registration; a refund cannot be more.",
            fields={"amount": [f"At most {money_text(paid)} back."]},
        )


def registrant_link(*, actor, patient) -> PublicRegistrant | None:
    """A new chart whose email a registrant gave: the registrant is linked to it, not copied, and the registrations
    they made until now are taken onto it (`Enrollment.linked_to_chart`), so their lecture history shows on the chart
    and its lectures are charged on its account. Registrations made with the address on the public page afterwards
    are not: anyone may type it there (`lecture_register`). Runs in the transaction that opens the chart
    (patients.extensions)."""
    if not patient.email:
        return None
    registrant = (
        PublicRegistrant.objects.select_for_update()
        .filter(email=patient.email.strip().lower(), patient__isnull=True)
        .first()
    )
    if registrant is None:
        return None
    registrant.patient = patient
    registrant.save(update_fields=["patient", "updated_at"])
    taken = list(registrant.enrollments.order_by("pk").values_list("pk", flat=True))
    Enrollment.objects.filter(pk__in=taken).update(linked_to_chart=True, updated_at=clock.now())
    access_log_write(
        actor=actor,
        action="registrant_link",
        subject=registrant,
        patient_id=patient.pk,
        detail={"registrant": registrant.pk, "enrollments": taken},
    )
    return registrant


def lecture_offer_answer(*, enrollment: Enrollment, action: str, offer_number: int) -> Enrollment:
    """A registrant answers a seat offer from its emailed link (the signed link stands in for signing in)."""
    service = enrollment_accept_offer if action == "accept" else enrollment_decline_offer
    return service(actor=None, enrollment=enrollment, offer_number=offer_number)
