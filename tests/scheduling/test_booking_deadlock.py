"""Two bookings writing clashing sessions in opposite order deadlock in Postgres's exclusion check; the one it
aborts writes again, waits for the other and is refused with a 409, never an error."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models.signals import pre_save

from apps.core.errors import Conflict
from apps.scheduling import services
from apps.scheduling.models import Appointment, Location
from tests.programs.test_concurrency import run_together

from .conftest import MONDAY, at


@pytest.mark.django_db(transaction=True)
def test_two_bookings_that_deadlock_end_with_one_booked_and_one_refused(clinic):
    main = Location.main()

    def row(patient, day, hour):
        return Appointment(
            therapist=clinic.therapist,
            patient=patient,
            service_type=clinic.individual,
            location=main,
            start=at(day, hour),
            end=at(day, hour + 1),
            created_by=clinic.front_desk,
        )

    tuesday = MONDAY.replace(day=MONDAY.day + 1)
    first = [row(clinic.patient, MONDAY, 10), row(clinic.patient, tuesday, 10)]
    second = [row(clinic.other_patient, tuesday, 10), row(clinic.other_patient, MONDAY, 10)]
    # Each booking writes its second row only once both have written their first: each then waits on the other's
    # uncommitted row, and Postgres breaks the deadlock by aborting one of them.
    both_wrote_one = threading.Barrier(2, timeout=20)
    waited = set()

    def hold_second_row(sender, instance, **kwargs):
        me = threading.get_ident()
        if instance in (first[1], second[1]) and me not in waited:
            waited.add(me)
            both_wrote_one.wait()

    def book(rows):
        def run():
            with transaction.atomic():
                services._save_guarded(rows)
            return rows

        return run

    pre_save.connect(hold_second_row, sender=Appointment, weak=False, dispatch_uid="deadlock-test")
    try:
        outcomes = run_together([book(first), book(second)])
    finally:
        pre_save.disconnect(dispatch_uid="deadlock-test", sender=Appointment)
    connection.close()
    booked = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert "already has appointment" in str(refused[0])
    assert Appointment.objects.filter(therapist=clinic.therapist).count() == 2
