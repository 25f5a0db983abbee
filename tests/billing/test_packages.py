"""Session packages: the price slides on the session-fee path, sessions are covered instead of charged, never more
than the package holds (also under concurrency), and a refund credits the unused sessions pro rata."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from apps.billing import pricing
from apps.billing.models import Adjustment, Charge, PackageSession, PackageStatus, Payment
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.packages import package_purchase, package_refund, package_refund_amount
from apps.billing.services.payments import payment_record
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition
from apps.scheduling import services as scheduling
from tests.locking import at_once

from .helpers import past_appointment
from .packages import patient_at_class

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return clock.local_now().date()


# --- price -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "session_fee", "package_price"),
    [
        ("A", "20.00", "200.00"),  # nominal: $20 a session, so 10 × $20 for the bundle
        ("B", "22.00", "200.00"),  # 20% of $110; 20% of $1,000
        ("C", "44.00", "400.00"),
        ("D", "66.00", "600.00"),
        ("E", "88.00", "800.00"),
        ("F", "110.00", "1000.00"),
    ],
)
def test_the_package_price_slides_with_each_class_as_a_session_fee_does(
    personas, offering, massage, code, session_fee, package_price
):
    patient_at_class(personas.patient, code)
    session = pricing.charge_price(patient=personas.patient, service_type_id=massage.pk, on=_today(), policy_fee=False)
    purchase = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    assert (session.class_code, session.fee) == (code, Decimal(session_fee))
    assert (purchase.class_code, purchase.price, purchase.full_price) == (code, Decimal(package_price), Decimal(1000))
    # The package's charge is the one line it posts, at the same figures.
    assert (purchase.charge.kind, purchase.charge.amount, purchase.charge.class_code) == (
        "package",
        Decimal(package_price),
        code,
    )


def test_an_approved_fixed_fee_counts_once_per_session_of_the_package(personas, offering):
    patient_at_class(personas.patient, "D", override_fee=Decimal("35.00"), override_reason="Job loss")
    purchase = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    assert purchase.price == Decimal("350.00")


def test_a_package_that_does_not_slide_costs_everyone_its_full_price(personas, offering):
    offering.slides_with_class = False
    offering.save()
    purchase = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    assert (purchase.price, purchase.class_code) == (Decimal("1000.00"), "FULL")


def test_selling_is_refused_with_a_reason(personas, offering):
    with pytest.raises(Conflict, match="no approved assessment"):
        package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    patient_at_class(personas.patient, "B")
    package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    with pytest.raises(Conflict, match="already has an active"):
        package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    offering.is_active = False
    offering.save()
    patient_at_class(personas.other_patient, "B")
    with pytest.raises(Conflict, match="no longer sold"):
        package_purchase(actor=personas.front_desk, patient=personas.other_patient, offering=offering)
    assert Charge.objects.filter(kind="package").count() == 1


# --- covering sessions -------------------------------------------------------------------------------------------


@pytest.fixture
def package(personas, offering):
    patient_at_class(personas.patient, "B")
    return package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)


def test_a_completed_session_is_covered_by_the_package_instead_of_charged(personas, package, massage):
    before = patient_balance(patient=personas.patient)
    appointment = past_appointment(personas.patient, service_type=massage, days_ago=1, status="booked")
    scheduling.appointment_complete(appointment=appointment, actor=personas.therapist)
    line = Charge.objects.get(appointment=appointment)
    assert (line.kind, line.amount, line.class_code) == ("session", Decimal("0.00"), "PKG")
    assert line.description == "Relaxation massage, 60 min: covered by package (1 of 10)"
    package.refresh_from_db()
    assert (package.sessions_used, package.sessions_remaining, package.status) == (1, 9, PackageStatus.ACTIVE)
    assert PackageSession.objects.get(appointment=appointment).number == 1
    assert patient_balance(patient=personas.patient) == before


def test_recording_the_same_outcome_twice_uses_one_session(personas, package, massage):
    appointment = past_appointment(personas.patient, service_type=massage)
    first = charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)
    again = charge_for_appointment_outcome(appointment=appointment, actor=personas.therapist)
    package.refresh_from_db()
    assert first.pk == again.pk and package.sessions_used == 1


def test_a_no_show_uses_a_session_when_the_clinic_charges_no_shows(personas, package, massage):
    appointment = past_appointment(personas.patient, service_type=massage, status="no_show")
    line = charge_for_appointment_outcome(appointment=appointment, actor=None)
    assert (line.kind, line.amount) == ("no_show", Decimal("0.00"))
    assert line.description == "Relaxation massage, 60 min: no-show, covered by package (1 of 10)"


def test_a_cancellation_within_the_rules_uses_nothing(personas, package, massage):
    appointment = past_appointment(personas.patient, service_type=massage, status="cancelled")
    assert charge_for_appointment_outcome(appointment=appointment, actor=None) is None
    package.refresh_from_db()
    assert package.sessions_used == 0


def test_sessions_of_another_service_or_after_expiry_are_charged(personas, package, fee_config, massage):
    therapy = past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2)
    assert charge_for_appointment_outcome(appointment=therapy, actor=None).amount == Decimal("40.00")
    package.expires_on = _today() - dt.timedelta(days=1)
    package.purchased_on = package.expires_on - dt.timedelta(days=120)
    package.save()
    late = past_appointment(personas.patient, service_type=massage, days_ago=1)
    assert charge_for_appointment_outcome(appointment=late, actor=None).amount == Decimal("22.00")
    package.refresh_from_db()
    assert package.sessions_used == 0


def test_the_last_session_uses_the_package_up_and_the_next_is_charged(personas, package, massage):
    for days_ago in range(11, 1, -1):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=massage, days_ago=days_ago), actor=None
        )
    package.refresh_from_db()
    assert (package.sessions_used, package.status) == (10, PackageStatus.USED_UP)
    eleventh = past_appointment(personas.patient, service_type=massage, days_ago=1)
    assert charge_for_appointment_outcome(appointment=eleventh, actor=None).amount == Decimal("22.00")


def test_the_database_refuses_more_covered_sessions_than_the_package_holds(personas, package, massage):
    appointment = past_appointment(personas.patient, service_type=massage)
    line = Charge.objects.create(
        patient=personas.patient,
        kind="session",
        appointment=appointment,
        service_type=massage,
        service_date=_today(),
        description="forged",
        full_fee=0,
        amount=0,
        class_code="PKG",
        class_label="x",
        posted_at=clock.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageSession.objects.create(
            purchase=package, appointment=appointment, number=11, charge=line, consumed_at=clock.now()
        )
    package.sessions_used = 11
    with pytest.raises(IntegrityError), transaction.atomic():
        package.save()


@pytest.mark.django_db(transaction=True)
def test_two_sessions_completed_at_once_never_overspend_the_last_package_session(personas, offering, massage):
    offering.session_count = 2
    offering.save()
    patient_at_class(personas.patient, "B")
    package = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=massage, days_ago=3), actor=None
    )
    appointments = [past_appointment(personas.patient, service_type=massage, days_ago=d) for d in (2, 1)]
    charges = at_once(*[lambda a=a: charge_for_appointment_outcome(appointment=a, actor=None) for a in appointments])
    package.refresh_from_db()
    assert not [c for c in charges if isinstance(c, Exception)], charges
    assert sorted(c.amount for c in charges) == [Decimal("0.00"), Decimal("22.00")]
    assert (package.sessions_used, package.status) == (2, PackageStatus.USED_UP)
    assert PackageSession.objects.filter(purchase=package).count() == 2


# --- refunds -----------------------------------------------------------------------------------------------------


def _use(package, massage, patient, count: int) -> None:
    for days_ago in range(count, 0, -1):
        charge_for_appointment_outcome(
            appointment=past_appointment(patient, service_type=massage, days_ago=days_ago), actor=None
        )


def test_a_refund_credits_the_unused_sessions_pro_rata_against_the_package_charge(personas, package, massage):
    _use(package, massage, personas.patient, 3)
    refunded = package_refund(actor=personas.billing, purchase=package, reason="Moving away")
    credit = Adjustment.objects.get(charge=package.charge)
    assert (credit.kind, credit.amount) == ("package_refund", Decimal("140.00"))  # 7/10 of $200
    assert credit.reason == "7 unused of 10 package sessions: Moving away"
    assert (refunded.status, refunded.credited) == (PackageStatus.REFUNDED, Decimal("140.00"))
    assert patient_balance(patient=personas.patient) == Decimal("60.00")
    # Closed: the next massage is charged, and the package cannot be refunded twice.
    later = past_appointment(personas.patient, service_type=massage, days_ago=0)
    assert charge_for_appointment_outcome(appointment=later, actor=None).amount == Decimal("22.00")
    with pytest.raises(InvalidTransition):
        package_refund(actor=personas.billing, purchase=refunded, reason="Again")


def test_a_paid_package_gives_the_unused_share_back_from_the_payment(personas, package, massage):
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="200.00")
    _use(package, massage, personas.patient, 4)
    package_refund(actor=personas.billing, purchase=package, reason="Injury")
    refund = Payment.objects.get(refund_of=payment)
    assert refund.amount == Decimal("-120.00")  # 6/10 of $200, back to the patient
    assert Adjustment.objects.get(charge=package.charge).amount == Decimal("120.00")
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


def test_a_refund_shares_out_what_the_package_cost_after_a_credit_on_it(personas, package):
    """$200 package with a $100 courtesy credit on its charge, $100 paid, nothing used: the refund gives back the
    $100 it cost, from the payment, and credits the charge only what is left of it."""
    from apps.billing.services.payments import adjustment_post

    adjustment_post(
        actor=personas.billing,
        patient=personas.patient,
        kind="courtesy",
        amount="100",
        reason="Opening offer",
        charge=package.charge,
    )
    payment = payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="100.00")
    assert package_refund_amount(package) == Decimal("100.00")

    closed = package_refund(actor=personas.billing, purchase=package, reason="Sold by mistake")

    assert (closed.status, closed.credited) == (PackageStatus.CANCELLED, Decimal("100.00"))
    assert Payment.objects.get(refund_of=payment).amount == Decimal("-100.00")
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


def _paid_by_card_online(client, patient, amount: str) -> None:
    """A card payment taken online: the portal's checkout, settled by the provider's signed completion event."""
    from apps.billing.services.checkout import checkout_start

    from .stripe_standin import completed_event, webhook_post

    checkout = checkout_start(actor=patient.user, patient=patient, amount=Decimal(amount))
    assert webhook_post(client, completed_event(checkout)).status_code == 200


def test_a_refund_with_too_little_paid_to_give_back_sends_nothing_back(personas, package, stripe_api, client):
    """$200 package, a $150 courtesy credit on the account (not on the package), $50 paid by card online: the
    package's $200 share would be given back from $50 of payments. Refused before the card's refund is sent."""
    from apps.billing.services.payments import adjustment_post
    from apps.core.errors import Unprocessable

    adjustment_post(actor=personas.billing, patient=personas.patient, kind="courtesy", amount="150", reason="Offer")
    _paid_by_card_online(client, personas.patient, "50.00")

    with pytest.raises(Unprocessable, match="not enough payments"):
        package_refund(actor=personas.billing, purchase=package, reason="Moving away")
    assert stripe_api.refund_count == 0


def test_with_credit_on_account_the_refund_asks_for_the_credit_first_and_sends_nothing(
    personas, package, stripe_api, client, login
):
    """$200 paid by card online on a $200 package, then $50 in cash kept as credit: giving the package's $200 back
    would leave the credit taking the balance below zero, which an adjustment may not. Refused before any money
    leaves: the card's refund is never sent."""
    from apps.core.errors import Conflict

    _paid_by_card_online(client, personas.patient, "200.00")
    payment_record(
        actor=personas.front_desk, patient=personas.patient, method="cash", amount="50.00", credit_on_account=True
    )

    with pytest.raises(Conflict, match=r"\$50.00 of credit on account"):
        package_refund(actor=personas.billing, purchase=package, reason="Moving away")
    assert stripe_api.refund_count == 0
    page = login(personas.billing).get(f"/billing/packages/{package.pk}/refund/").content.decode()
    assert "Refund that credit first" in page and "Refund $200.00" not in page


def test_a_refund_rounds_the_share_to_the_cent(personas, offering, massage):
    offering.session_count = 3
    offering.save()
    patient_at_class(personas.patient, "F")
    package = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    _use(package, massage, personas.patient, 1)
    package.refresh_from_db()
    assert package_refund_amount(package) == Decimal("666.67")  # $1,000 × 2 / 3


def test_an_unused_package_is_cancelled_with_its_whole_price_credited(personas, package):
    closed = package_refund(actor=personas.billing, purchase=package, reason="Sold by mistake")
    assert (closed.status, closed.credited) == (PackageStatus.CANCELLED, Decimal("200.00"))
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


def test_selling_and_refunding_write_audit_rows(personas, package):
    from apps.audit.models import AccessLog

    package_refund(actor=personas.billing, purchase=package, reason="Moving away")
    rows = AccessLog.objects.filter(subject_type="billing.packagepurchase", subject_id=str(package.pk))
    assert sorted(rows.values_list("action", "actor_id")) == [
        ("package_purchase", personas.front_desk.pk),
        ("package_refund", personas.billing.pk),
    ]


def test_a_lapsed_package_is_closed_when_the_same_package_is_sold_again(personas, package, massage):
    package.purchased_on = _today() - dt.timedelta(days=130)
    package.expires_on = _today() - dt.timedelta(days=10)
    package.save()
    assert package.has_lapsed
    again = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=package.offering)
    package.refresh_from_db()
    assert (package.status, again.status) == (PackageStatus.EXPIRED, PackageStatus.ACTIVE)
    covered = charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=massage), actor=None
    )
    assert covered.package_session.purchase == again
