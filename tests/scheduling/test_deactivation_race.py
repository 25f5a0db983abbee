"""A therapist deactivated (or losing the role) while a session is being booked with them: whichever locks the
therapist's row first wins. The database holds it (`appointment_therapist_in_practice`), so a booking whose check read
the therapist before the change committed is refused at its write, and a deactivation waits for a booking in flight
and then counts its session."""

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_deactivate, user_roles_set
from apps.core.errors import Conflict, Unprocessable
from apps.scheduling.models import Appointment
from tests.locking import HeldElsewhere, waits_for_own_transaction

from .conftest import book, in_three_days


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["deactivated", "no longer a therapist"])
def test_a_booking_that_read_the_therapist_before_a_change_committed_is_refused_at_its_write(
    personas,
    ready,
    change,
):
    therapist_pk = personas.therapist.pk

    def deactivate():
        User.objects.select_for_update().filter(pk=therapist_pk).update(is_active=False)

    def demote():
        user = User.objects.select_for_update().get(pk=therapist_pk)
        user_roles_set(actor=personas.admin, user=user, roles=[Role.FRONT_DESK])

    other = HeldElsewhere(deactivate if change == "deactivated" else demote)
    other.release_soon()
    with pytest.raises(Unprocessable, match="Choose an active therapist."):
        book(personas, ready, personas.patient, in_three_days())  # its check read the therapist as they were
    other.join()
    assert not Appointment.objects.filter(therapist_id=therapist_pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_deactivation_waits_for_a_booking_in_flight_and_then_counts_its_session(personas, ready):
    refusals: list[str] = []

    def deactivate():
        try:
            staff_deactivate(actor=personas.admin, user=User.objects.get(pk=personas.therapist.pk))
        except Conflict as exc:
            refusals.append(exc.message)

    waits_for_own_transaction(deactivate, lambda: book(personas, ready, personas.patient, in_three_days()))
    assert refusals and "has 1 booked session to come" in refusals[0]
    assert User.objects.get(pk=personas.therapist.pk).is_active


@pytest.mark.django_db
def test_the_database_refuses_a_session_with_someone_not_in_practice_however_it_is_written(personas, ready):
    booked = book(personas, ready, personas.patient, in_three_days())
    fields = {f.name: getattr(booked, f.name) for f in Appointment._meta.concrete_fields if f.name != "id"}
    booked.status = "cancelled"
    booked.save()
    with pytest.raises(IntegrityError, match="is not an active therapist"), transaction.atomic():
        Appointment.objects.create(**{**fields, "therapist": personas.front_desk})
