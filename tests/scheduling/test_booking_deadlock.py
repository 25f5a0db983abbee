"""Two bookings (or moves) writing clashing sessions in opposite order deadlock in Postgres's exclusion check; the one
it aborts writes again, waits for the other and is refused with a 409, never an error and never a stray row."""

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models.signals import pre_save
from psycopg.errors import DeadlockDetected

from apps.core.errors import Conflict
from apps.scheduling import services
from apps.scheduling.models import Appointment, Location
from tests.locking import at_once

from .conftest import MONDAY, at

TUESDAY = MONDAY.replace(day=MONDAY.day + 1)
THURSDAY = MONDAY.replace(day=MONDAY.day + 3)


def _crossing_writes(first: list[Appointment], second: list[Appointment]) -> list:
    """Write both lists at once, each in its own transaction, and hold each list's second row until both have
    written their first: each then waits on the other's uncommitted row, and Postgres breaks the deadlock by
    aborting one of them."""
    both_wrote_one = threading.Barrier(2, timeout=20)
    waited = set()

    def hold_second_row(sender, instance, **kwargs):
        me = threading.get_ident()
        if instance in (first[1], second[1]) and me not in waited:
            waited.add(me)
            both_wrote_one.wait()

    def write(rows):
        def run():
            with transaction.atomic():
                services._save_guarded(rows)
            return rows

        return run

    pre_save.connect(hold_second_row, sender=Appointment, weak=False, dispatch_uid="deadlock-test")
    try:
        return at_once(write(first), write(second))
    finally:
        pre_save.disconnect(dispatch_uid="deadlock-test", sender=Appointment)
        connection.close()


def _one_written_one_refused(outcomes: list) -> tuple[list[Appointment], Conflict]:
    written = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(written) == 1 and len(refused) == 1, outcomes
    assert "already has a session" in str(refused[0])
    return written[0], refused[0]


def _session(clinic, patient, day, hour) -> Appointment:
    return Appointment(
        therapist=clinic.therapist,
        patient=patient,
        service_type=clinic.individual,
        location=Location.main(),
        start=at(day, hour),
        end=at(day, hour + 1),
        created_by=clinic.front_desk,
    )


@pytest.mark.django_db(transaction=True)
def test_two_bookings_that_deadlock_end_with_one_booked_and_one_refused(clinic):
    first = [_session(clinic, clinic.patient, MONDAY, 10), _session(clinic, clinic.patient, TUESDAY, 10)]
    second = [_session(clinic, clinic.other_patient, TUESDAY, 10), _session(clinic, clinic.other_patient, MONDAY, 10)]

    booked, _ = _one_written_one_refused(_crossing_writes(first, second))

    kept = Appointment.objects.filter(therapist=clinic.therapist)
    assert sorted(kept.values_list("pk", flat=True)) == sorted(a.pk for a in booked)


@pytest.mark.django_db(transaction=True)
def test_two_moves_that_deadlock_end_with_one_moved_and_one_refused_without_a_new_row(clinic):
    """The aborted move updates its sessions again: it must not insert them as new rows."""
    first = [_session(clinic, clinic.patient, THURSDAY, 9), _session(clinic, clinic.patient, THURSDAY, 11)]
    second = [
        _session(clinic, clinic.other_patient, THURSDAY, 13),
        _session(clinic, clinic.other_patient, THURSDAY, 15),
    ]
    for row in first + second:
        row.save()
    before = {a.pk: a.start for a in Appointment.objects.all()}
    for rows, days in ((first, (MONDAY, TUESDAY)), (second, (TUESDAY, MONDAY))):
        for row, day in zip(rows, days, strict=True):
            row.start, row.end = at(day, 10), at(day, 11)

    moved, _ = _one_written_one_refused(_crossing_writes(first, second))

    after = {a.pk: a.start for a in Appointment.objects.all()}
    assert after.keys() == before.keys()
    stayed = first if moved is second else second
    assert {after[a.pk] for a in moved} == {at(MONDAY, 10), at(TUESDAY, 10)}
    assert all(after[a.pk] == before[a.pk] for a in stayed)


@pytest.mark.django_db
def test_a_booking_aborted_as_a_deadlock_every_time_is_refused_with_a_409_and_writes_nothing(clinic):
    attempts = []

    def always_deadlocked(sender, instance, **kwargs):
        attempts.append(instance.start)
        raise OperationalError("deadlock detected") from DeadlockDetected()

    pre_save.connect(always_deadlocked, sender=Appointment, weak=False, dispatch_uid="always-deadlocked")
    try:
        with pytest.raises(Conflict, match="being saved right now"):
            services._save_guarded([_session(clinic, clinic.patient, MONDAY, 10)])
    finally:
        pre_save.disconnect(dispatch_uid="always-deadlocked", sender=Appointment)
    assert len(attempts) == services.DEADLOCK_REWRITES + 1
    assert not Appointment.objects.exists()
