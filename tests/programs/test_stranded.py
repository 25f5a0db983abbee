"""No one stranded: the daily check queues exactly the people waiting with no next step, once."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.errors import InvalidTransition, Unprocessable
from apps.notifications.models import Message, MessageStatus
from apps.programs.models import Enrollment, EnrollmentStatus, StrandedEnrollment
from apps.programs.services.stranded import stranded_enrollments_queue, stranded_item_resolve

from .factories import ProgramFactory

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def waiting(make_patients):
    """waiting(name, since) -> a waitlisted enrollment created at `since`."""
    program = ProgramFactory(capacity=1)
    made = {"n": 0}

    def _make(since: dt.datetime) -> Enrollment:
        made["n"] += 1
        (patient,) = make_patients(1)
        enrollment = Enrollment.objects.create(
            program=program, patient=patient, status=EnrollmentStatus.WAITLISTED, waitlist_position=made["n"]
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(created_at=since)
        return enrollment

    return _make


def notice(enrollment, *, at, status=MessageStatus.PENDING):
    message = Message.objects.create(
        channel="email",
        to_address="someone@example.test",
        purpose="program_delayed",
        template="program_delayed",
        subject_type="programs.enrollment",
        subject_id=str(enrollment.pk),
        send_at=at,
        dedupe_key=f"test:{enrollment.pk}:{at.isoformat()}",
        patient=enrollment.patient,
        status=status,
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)


def item(enrollment, *, resolved_at=None):
    StrandedEnrollment.objects.create(
        enrollment=enrollment,
        reason="earlier check",
        resolved_at=resolved_at,
        resolution_note="Called them." if resolved_at else "",
    )


def test_the_check_queues_exactly_those_waiting_too_long_with_no_next_step(waiting, personas):
    now = clock.now()
    cutoff = now - dt.timedelta(days=21)
    before, after = cutoff - MINUTE, cutoff + MINUTE
    expected = {
        "silent for too long": waiting(before),
        "told something only before the window": waiting(before),
        "only a cancelled notice in the window": waiting(before),
        "offered only before the window": waiting(before),
        "an item resolved before the window": waiting(before),
    }
    spared = {
        "waiting just under the limit": waiting(after),
        "told something in the window": waiting(before),
        "offered in the window": waiting(before),
        "an open item": waiting(before),
        "an item resolved in the window": waiting(before),
    }
    notice(expected["told something only before the window"], at=before)
    notice(expected["only a cancelled notice in the window"], at=after, status=MessageStatus.CANCELLED)
    Enrollment.objects.filter(pk=expected["offered only before the window"].pk).update(offered_at=before)
    item(expected["an item resolved before the window"], resolved_at=before)
    notice(spared["told something in the window"], at=after)
    Enrollment.objects.filter(pk=spared["offered in the window"].pk).update(offered_at=after)
    item(spared["an open item"])
    item(spared["an item resolved in the window"], resolved_at=after)
    seated = waiting(before)
    Enrollment.objects.filter(pk=seated.pk).update(status=EnrollmentStatus.ENROLLED, waitlist_position=None)

    assert stranded_enrollments_queue(now=now) == len(expected)
    queued = set(StrandedEnrollment.objects.filter(resolved_at=None).values_list("enrollment_id", flat=True))
    assert queued == {e.pk for e in expected.values()} | {spared["an open item"].pk}
    assert stranded_enrollments_queue(now=now) == 0


def test_resolving_needs_a_note_and_happens_once(waiting, personas):
    enrollment = waiting(clock.now() - dt.timedelta(days=30))
    assert stranded_enrollments_queue() == 1
    queued = StrandedEnrollment.objects.get(enrollment=enrollment)
    with pytest.raises(Unprocessable):
        stranded_item_resolve(item=queued, note=" ", actor=personas.front_desk)
    stranded_item_resolve(item=queued, note="Called; offered the next cohort.", actor=personas.front_desk)
    queued.refresh_from_db()
    assert queued.resolved_by == personas.front_desk and queued.resolved_at is not None
    with pytest.raises(InvalidTransition):
        stranded_item_resolve(item=queued, note="Again.", actor=personas.front_desk)
    assert stranded_enrollments_queue() == 0
