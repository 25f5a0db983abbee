"""A reduced-fee cap set or lowered on the staff page while a booking gives the therapist a new reduced-fee patient:
both count under one lock, so the cap never ends below the reduced-fee patients the therapist carries."""

import datetime as dt

import pytest
from django.db import transaction

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import therapist_profile_change
from apps.billing.selectors.reduced_fee_cap import reduced_fee_patient_ids
from apps.billing.services.reduced_fee_cap import reduced_fee_cap_enforce
from apps.core import clock
from apps.core.errors import Conflict
from apps.scheduling import services as scheduling
from apps.scheduling.models import WorkingHours
from tests.billing.helpers import approved_assessment, past_appointment
from tests.factories import PatientFactory, UserFactory
from tests.locking import HeldElsewhere, waiting_on_own_transaction

pytestmark = pytest.mark.django_db(transaction=True)

REDUCED = {"household_size": 2, "income": "20000"}  # class A: the nominal fee


@pytest.fixture
def carrying_one(personas, fee_config):
    """The therapist works every day and carries one reduced-fee patient, their own, seen ten days ago; a newcomer
    with a reduced fee asks for a first session."""
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=personas.therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )
    approved_assessment(personas.patient, **REDUCED)
    past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=10)
    newcomer = PatientFactory(user=UserFactory(roles=[Role.PATIENT]))
    approved_assessment(newcomer, **REDUCED)
    return newcomer


def _cap_set(personas, cap: int | None) -> None:
    profile = personas.therapist.therapist_profile  # the booking below reads its cap from this one
    profile.reduced_fee_cap = cap
    profile.save(update_fields=["reduced_fee_cap"])


def _book(personas, patient, fee_config):
    today = clock.local_now().date()
    return scheduling.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=patient,
        service_type=fee_config["90834"],
        start=clock.local_datetime(today + dt.timedelta(days=3), dt.time(10)),
        is_telehealth=True,
    )


def _cap_lowered_to_one(personas):
    def lower():
        therapist = User.objects.get(pk=personas.therapist.pk)  # its own copy: this runs in another thread
        return therapist_profile_change(actor=personas.admin, user=therapist, reduced_fee_cap=1)

    return lower


def _cap_and_carried(personas) -> tuple[int | None, int]:
    therapist = User.objects.select_related("therapist_profile").get(pk=personas.therapist.pk)
    carried = reduced_fee_patient_ids(therapist=therapist, on=clock.local_now().date())
    return therapist.therapist_profile.reduced_fee_cap, len(carried)


def test_a_cap_lowered_while_a_booking_commits_counts_the_booking(personas, fee_config, carrying_one):
    _cap_set(personas, 2)
    with transaction.atomic():
        # The booking has counted the therapist's reduced-fee patients and has not written its session yet.
        reduced_fee_cap_enforce(actor=personas.front_desk, therapist=personas.therapist, patient=carrying_one)
        lowered = waiting_on_own_transaction(_cap_lowered_to_one(personas))
        _book(personas, carrying_one, fee_config)
    outcome = lowered()
    assert isinstance(outcome, Conflict), outcome
    assert "carries 2 reduced-fee patients now, more than a cap of 1" in outcome.message
    assert _cap_and_carried(personas) == (2, 2)


def test_a_booking_waits_for_a_cap_being_lowered_and_is_held_to_it(personas, fee_config, carrying_one):
    _cap_set(personas, 2)
    held = HeldElsewhere(_cap_lowered_to_one(personas))
    held.release_soon()
    with pytest.raises(Conflict, match="their cap of 1"):
        _book(personas, carrying_one, fee_config)
    held.join()
    assert held.committed.is_set()
    assert _cap_and_carried(personas) == (1, 1)
