"""Interest lists and launch under real concurrency: threads on real Postgres, released together by a barrier."""

import datetime as dt
from collections import Counter

import pytest

from apps.core import clock
from apps.core.errors import ApplicationError, Conflict
from apps.programs.models import SEATED_STATUSES, Enrollment, EnrollmentStatus, GroupProgram
from apps.programs.services.formation import interest_register, program_call_off, program_launch
from apps.programs.services.seats import enrollment_accept_offer, program_enroll
from tests.factories import UserFactory
from tests.locking import HeldElsewhere, at_once

from .formation_helpers import proposed_program

pytestmark = pytest.mark.django_db(transaction=True)


def front_desk():
    return UserFactory(roles=["front_desk"])


def test_people_registering_at_once_get_distinct_tickets_in_the_order_they_registered(make_patients):
    program = proposed_program(actor=front_desk(), capacity=10, minimum_to_launch=5)
    people = make_patients(8)
    outcomes = at_once(*[(lambda p=p: interest_register(program=program, patient=p, actor=p.user)) for p in people])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    rows = list(program.enrollments.order_by("created_at", "pk"))
    assert [e.waitlist_position for e in rows] == list(range(1, 9))
    assert {e.status for e in rows} == {EnrollmentStatus.WAITLISTED}


def test_the_same_person_registering_six_times_at_once_holds_one_place(make_patients):
    program = proposed_program(actor=front_desk())
    (patient,) = make_patients(1)
    outcomes = at_once(
        *[(lambda: interest_register(program=program, patient=patient, actor=patient.user)) for _ in range(6)]
    )
    assert sum(isinstance(o, Enrollment) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 5
    assert program.enrollments.count() == 1


def test_launch_racing_joins_and_accepts_never_offers_more_than_capacity(make_patients):
    actor = front_desk()
    program = proposed_program(actor=actor, capacity=3, minimum_to_launch=2)
    early = make_patients(5)
    for patient in early:
        interest_register(program=program, patient=patient, actor=patient.user)
    late = make_patients(6)
    calls = [lambda: program_launch(program=program, actor=actor)]
    calls += [(lambda p=p: interest_register(program=program, patient=p, actor=p.user)) for p in late[:3]]
    calls += [(lambda p=p: program_enroll(actor=p.user, program=program, patient=p)) for p in late[3:]]
    outcomes = at_once(*calls)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApplicationError)]
    assert unexpected == []
    assert not isinstance(outcomes[0], Exception), outcomes[0]

    offers = list(Enrollment.objects.filter(program=program, status=EnrollmentStatus.OFFERED).order_by("pk"))
    assert [o.patient_id for o in offers] == [p.pk for p in early[:3]]
    waiting = list(program.enrollments.filter(status=EnrollmentStatus.WAITLISTED).order_by("waitlist_position"))
    assert [e.patient_id for e in waiting[:2]] == [p.pk for p in early[3:]]
    assert len({e.waitlist_position for e in waiting}) == len(waiting)

    # The offers are accepted while newcomers enroll: the seats still never exceed capacity.
    newcomers = make_patients(4)
    calls = [(lambda o=o: enrollment_accept_offer(actor=o.patient.user, enrollment=o)) for o in offers]
    calls += [(lambda p=p: program_enroll(actor=p.user, program=program, patient=p)) for p in newcomers]
    outcomes = at_once(*calls)
    assert [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApplicationError)] == []
    counts = Counter(program.enrollments.values_list("status", flat=True))
    assert sum(counts[s] for s in SEATED_STATUSES) == 3
    assert counts[EnrollmentStatus.ENROLLED] == 3


def test_a_call_off_moves_nobody_onto_a_next_cohort_called_off_at_the_same_moment(personas, make_patients):
    first = proposed_program(actor=personas.admin, title="Spring cohort")
    later = proposed_program(
        actor=personas.admin,
        title="Summer cohort",
        first_meeting_on=clock.local_now().date() + dt.timedelta(days=40),
        decision_on=clock.local_now().date() + dt.timedelta(days=20),
    )
    [waiting] = make_patients(1)
    interest_register(program=first, patient=waiting, actor=personas.front_desk)
    # The later cohort is being called off (its row held) while the first one is.
    calling_off = HeldElsewhere(
        lambda: program_call_off(program=GroupProgram.objects.get(pk=later.pk), reason="Too few", actor=personas.admin)
    )
    calling_off.release_soon()
    program_call_off(program=GroupProgram.objects.get(pk=first.pk), reason="Too few", actor=personas.admin)
    calling_off.join()
    live = Enrollment.objects.filter(patient=waiting, status__in=["waitlisted", "offered", "enrolled"])
    assert not live.filter(program=later).exists()
