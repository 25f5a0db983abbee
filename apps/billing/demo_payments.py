"""Demo payments: the money side of the demo's history, taken through the billing services as the clinic took it.

Most patients pay each session's fee at the desk as it ends or within a few days (card, cash or a check in the
post), some pay part of each fee, a few owe everything, and a patient or two who fell behind pays by instalments.
Each payment is recorded at the moment it was made (`clock.recorded_at`), so receipts, statements and the aging
report date it on or after its session, never after today. Runs after every step that charges.

Run again later, the patients go on paying as they did: each charge's payment is drawn from the charge alone (its
moment, place and method), so a charge whose payment has come due since (a session ended since, or one whose
payment a few days on was still to come) is paid then, and one already paid is known by a payment of its patient
at that moment; a plan's instalments that have come due since are paid on their days. A run again at the same
instant pays nothing.
"""

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.patients.demo import PORTAL_PATIENT_EMAIL

from .models import Charge, Payment, PaymentMethod, PaymentPlan, PlanInstalment, PlanStatus
from .payments import SandboxBackend, payment_backend
from .selectors.ledger import patient_balance
from .services.checkout import checkout_start, provider_event_apply
from .services.payments import payment_record
from .services.plans import payment_plan_create

PAYS, PART, OWES, PLAN = "pays", "part", "owes", "plan"
# What the demo patients do about their bills, in email order. The portal patient pays part of each fee, so the
# portal shows both a payment history and a balance to pay by card.
HABITS = [PAYS, PAYS, PART, PAYS, OWES, PAYS, PAYS, PART, PAYS, PAYS, PAYS, PLAN, PAYS, PAYS, PART, PAYS, OWES, PAYS]
PART_SHARE = Decimal("0.5")
DESK_DELAY = dt.timedelta(minutes=10)  # paid at the front desk on the way out
LATER_DAYS = (1, 5)  # or by card online or a check in the post, a few days on
PLAN_INSTALMENTS = 4
PLAN_EVERY_DAYS = 14
DAYTIME = (9, 18)


def seed(out) -> None:
    from apps.patients.models import Patient

    desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    billing = User.objects.filter(groups__name=Role.BILLING).order_by("email").first()
    if desk is None or billing is None:
        out.write("Payments: skipped (no front desk or billing staff)")
        return
    charges_by_patient: dict[int, list[Charge]] = {}
    for charge in Charge.objects.filter(amount__gt=0).select_related("appointment").order_by("posted_at", "pk"):
        charges_by_patient.setdefault(charge.patient_id, []).append(charge)
    paid_at: dict[int, set[dt.datetime]] = {}
    for patient_id, received_at in Payment.objects.filter(refund_of=None).values_list("patient_id", "received_at"):
        paid_at.setdefault(patient_id, set()).add(received_at)
    plans = {plan.patient_id: plan for plan in PaymentPlan.objects.order_by("pk")}
    # The habit goes by the patient's place among all demo patients, so a patient charged for the first time on a
    # run again neither takes another's habit nor shifts theirs.
    patients = Patient.objects.filter(email__endswith="@clinic.test").select_related("user").order_by("email")
    paid = new_plans = 0
    for index, patient in enumerate(patients):
        habit = PART if patient.email == PORTAL_PATIENT_EMAIL else HABITS[index % len(HABITS)]
        charges = charges_by_patient.get(patient.pk)
        if not charges or habit == OWES:
            continue
        if habit == PLAN:
            plan = plans.get(patient.pk)
            if plan is None:
                plan = _plan_agree(patient, charges, actor=billing)
                new_plans += 1
            paid += _plan_instalments_paid(patient, plan, actor=billing)
            continue
        for charge in charges:
            share = charge.amount if habit == PAYS else (charge.amount * PART_SHARE).quantize(Decimal("1"), ROUND_DOWN)
            paid += _session_paid(patient, charge, share, desk=desk, paid_at=paid_at.get(patient.pk, set()))
    out.write(f"Payments: {paid} new, {new_plans} new payment plans")


def _session_paid(patient, charge: Charge, amount: Decimal, *, desk, paid_at: set[dt.datetime]) -> int:
    """Pay `amount` toward one session's charge, at the desk as it ends or a few days on; a payment that would fall
    after now is not made yet (the session is still owed), and one its patient already made at that moment is not
    made again. Returns how many payments were made.

    Where, when and how are drawn from the charge alone (a generator seeded with it), so every run draws the same
    payment for it. A patient with a portal account pays there by card; one seen by video cannot pay at the desk."""
    rng = random.Random(charge.pk)
    by_video = charge.appointment is not None and charge.appointment.is_telehealth
    at_desk = patient.user_id is None and not by_video and rng.random() < 0.6
    if at_desk:
        moment = charge.posted_at + DESK_DELAY
    else:
        day = timezone.localtime(charge.posted_at, clock.clinic_tz()).date() + dt.timedelta(
            days=rng.randint(*LATER_DAYS)
        )
        moment = clock.local_datetime(day, dt.time(rng.randint(*DAYTIME), rng.randrange(60)))
    if moment > timezone.now() or moment in paid_at:
        return 0
    amount = min(amount, patient_balance(patient=patient))
    if amount <= 0:
        return 0
    with clock.recorded_at(moment):
        if at_desk:
            method = rng.choice([PaymentMethod.CARD_PRESENT, PaymentMethod.CARD_PRESENT, PaymentMethod.CASH])
            reference = f"{rng.randrange(10000):04d}" if method == PaymentMethod.CARD_PRESENT else ""
            payment_record(actor=desk, patient=patient, method=method, amount=amount, reference=reference)
        elif patient.user_id is not None or rng.random() < 0.5:
            _card_paid(patient, amount, desk=desk, rng=rng)
        else:
            payment_record(
                actor=desk,
                patient=patient,
                method=PaymentMethod.CHECK,
                amount=amount,
                reference=f"{rng.randrange(1000, 9999)}",
            )
    paid_at.add(moment)
    return 1


def _card_paid(patient, amount: Decimal, *, desk, rng: random.Random, plan: PaymentPlan | None = None) -> None:
    """A card payment made away from the desk: in the portal where the local demo's stand-in for the card provider
    takes it (its completion event applied as the webhook applies Stripe's), else by phone at the front desk."""
    backend = payment_backend()
    if isinstance(backend, SandboxBackend) and patient.user_id is not None:
        checkout = checkout_start(actor=patient.user, patient=patient, amount=amount, plan=plan)
        provider_event_apply(provider=backend.name, event=backend.completion_event(checkout=checkout))
        return
    payment_record(
        actor=desk,
        patient=patient,
        method=PaymentMethod.CARD_PRESENT,
        amount=amount,
        reference=f"{rng.randrange(10000):04d}",
        plan=plan,
    )


def _plan_agree(patient, charges: list[Charge], *, actor) -> PaymentPlan:
    """A patient who paid nothing per session agrees a plan for what they owe the morning after their latest
    session (or now, if that morning is still to come); its first instalment is due that day."""
    day = timezone.localtime(charges[-1].posted_at, clock.clinic_tz()).date() + dt.timedelta(days=1)
    agreed = min(clock.local_datetime(day, dt.time(DAYTIME[0], 30)), timezone.now())
    with clock.recorded_at(agreed):
        return payment_plan_create(
            actor=actor,
            patient=patient,
            instalments=PLAN_INSTALMENTS,
            first_due=clock.local_now().date(),
            every_days=PLAN_EVERY_DAYS,
        )


def _plan_instalments_paid(patient, plan: PaymentPlan, *, actor) -> int:
    """The plan's first instalment is paid when it is agreed, each later one on its due day at the same hour, up
    to now; those paid on an earlier run are not paid again. Returns how many were paid now."""
    if plan.status != PlanStatus.ACTIVE:
        return 0
    # Agreed the morning it starts, or later that day when the seed ran before that morning (then it was made
    # there and then, its creation stamp the moment).
    agreed = min(clock.local_datetime(plan.starts_on, dt.time(DAYTIME[0], 30)), plan.created_at)
    already = Payment.objects.filter(plan=plan, refund_of=None).count()
    made = 0
    for instalment in PlanInstalment.objects.filter(plan=plan).order_by("due_on")[already:]:
        moment = agreed + (instalment.due_on - plan.starts_on)
        if moment > timezone.now():
            break
        with clock.recorded_at(moment):
            _card_paid(patient, instalment.amount, desk=actor, rng=random.Random(instalment.pk), plan=plan)
        made += 1
    return made
