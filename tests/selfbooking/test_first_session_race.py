"""Two first sessions booked online at once by the same patient (two tabs): the second waits for the first and is
refused, so they hold one coming first session."""

import pytest

from apps.accounts.models import User
from apps.core.errors import Conflict
from apps.scheduling.models import Appointment
from apps.selfbooking.services import self_booking_book
from tests.locking import HeldElsewhere

from .conftest import MONDAY, at


@pytest.mark.django_db(transaction=True)
def test_a_second_first_session_booked_at_the_same_moment_is_refused(booking):
    def book(hour):
        return self_booking_book(
            actor=User.objects.get(pk=booking.newcomer_user.pk), therapist=booking.therapist, start=at(MONDAY, hour)
        )

    first = HeldElsewhere(lambda: book(10))
    first.release_soon()
    with pytest.raises(Conflict, match="You already have a first session"):
        book(14)
    first.join()
    assert Appointment.objects.filter(patient=booking.newcomer).count() == 1
