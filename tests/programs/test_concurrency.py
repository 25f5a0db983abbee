"""The seat invariant under real concurrency: threads on real Postgres, released together by a barrier."""

from collections import Counter

import pytest

from apps.core.errors import ApplicationError
from apps.notifications.models import Message
from apps.programs.models import Enrollment, EnrollmentStatus
from apps.programs.services.seats import enrollment_accept_offer, enrollment_withdraw, program_enroll
from apps.programs.services.setup import program_capacity_set
from tests.locking import at_once

from .factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

CAPACITY = 4


def seat_counts(program):
    return Counter(Enrollment.objects.filter(program=program).values_list("status", flat=True))


def test_ten_times_capacity_simultaneous_enrolls_and_accepts_fill_exactly_capacity(make_patients):
    """Two people hold offers and two seats are free; 40 requests race for them."""
    program = ProgramFactory(capacity=CAPACITY)
    early, holders, newcomers = make_patients(4), make_patients(2), make_patients(10)
    seated = [program_enroll(actor=p.user, program=program, patient=p) for p in early]
    offers = [program_enroll(actor=p.user, program=program, patient=p) for p in holders]
    for enrollment in seated:
        enrollment_withdraw(actor=None, enrollment=enrollment)
    offers = list(Enrollment.objects.filter(pk__in=[o.pk for o in offers], status="offered"))
    assert len(offers) == 2 and seat_counts(program)["offered"] == 2

    calls = [
        (lambda o=offer: enrollment_accept_offer(actor=o.patient.user, enrollment=o))
        for offer in offers
        for _ in range(5)
    ]
    calls += [
        (lambda p=patient: program_enroll(actor=p.user, program=program, patient=p))
        for patient in newcomers
        for _ in range(3)
    ]
    assert len(calls) == 10 * CAPACITY
    outcomes = at_once(*calls)

    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApplicationError)]
    assert unexpected == []
    counts = seat_counts(program)
    assert counts["enrolled"] == CAPACITY
    assert counts["offered"] == 0
    assert counts["waitlisted"] == len(newcomers) - 2
    live = Enrollment.objects.filter(program=program, status__in=["enrolled", "waitlisted", "offered"])
    assert sorted(Counter(live.values_list("patient_id", flat=True)).values()) == [1] * live.count()
    positions = list(live.filter(status="waitlisted").values_list("waitlist_position", flat=True))
    assert len(set(positions)) == len(positions)
    assert set(live.filter(status="enrolled").values_list("patient_id", flat=True)) >= {h.pk for h in holders}
    # Exactly one success per accepted offer and per new patient; the rest were told why.
    successes = [o for o in outcomes if isinstance(o, Enrollment)]
    assert len(successes) == len(offers) + len(newcomers)
    confirmations = Message.objects.filter(template="enrollment_confirmed", channel="email")
    assert confirmations.count() == counts["enrolled"] + len(early)
    assert Message.objects.filter(template="seat_offer", channel="email").count() == 2


def test_concurrent_withdrawals_declines_and_a_capacity_raise_never_overfill_and_notify_each_offer_once(
    make_patients,
):
    program = ProgramFactory(capacity=CAPACITY)
    patients = make_patients(14)
    enrollments = [program_enroll(actor=p.user, program=program, patient=p) for p in patients]
    members, waiting = enrollments[:CAPACITY], enrollments[CAPACITY:]

    calls = [(lambda e=e: enrollment_withdraw(actor=None, enrollment=e)) for e in members[:2] * 3]
    calls += [(lambda: program_capacity_set(actor=None, program=program, capacity=CAPACITY + 3))] * 2
    calls += [
        (lambda p=p: program_enroll(actor=p.user, program=program, patient=p))
        for p in make_patients(CAPACITY * 10 - len(calls))
    ]
    outcomes = at_once(*calls)

    assert [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApplicationError)] == []
    program.refresh_from_db()
    counts = seat_counts(program)
    assert program.capacity == CAPACITY + 3
    assert counts["enrolled"] + counts["offered"] == program.capacity
    assert counts["offered"] == 5  # two freed seats and three new ones, all offered to people already waiting
    offered = Enrollment.objects.filter(program=program, status=EnrollmentStatus.OFFERED)
    assert set(offered.values_list("pk", flat=True)) == {e.pk for e in waiting[:5]}
    assert Message.objects.filter(template="seat_offer", channel="email").count() == 5
