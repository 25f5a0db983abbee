"""Booking a first session and moving a session online: through the staff booking services, with the online rules
on top, and nothing written when refused."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.accounts.models import TherapistProfile
from apps.billing.models import EstimateReason, GoodFaithEstimate
from apps.core.errors import Conflict, PermissionDenied, Unprocessable
from apps.core.models import ClinicSettings
from apps.notifications.models import Message
from apps.scheduling.models import Appointment, AppointmentStatus, TimeOff
from apps.selfbooking.services import self_booking_book, self_booking_move
from tests.billing.helpers import approved_assessment

from .conftest import MONDAY, at, online_booking

pytestmark = pytest.mark.django_db


def _book(b, start=None, therapist=None, actor=None):
    return self_booking_book(
        actor=actor or b.newcomer_user, therapist=therapist or b.therapist, start=start or at(MONDAY, 10)
    )


def test_a_newcomer_books_an_intake_with_its_notice_and_good_faith_estimate(booking):
    appointment = _book(booking)
    assert (appointment.patient, appointment.therapist, appointment.service_type) == (
        booking.newcomer,
        booking.therapist,
        booking.intake,
    )
    assert appointment.created_by == booking.newcomer_user
    assert Message.objects.filter(purpose="appointment_booked", patient=booking.newcomer).exists()
    [estimate] = GoodFaithEstimate.objects.filter(patient=booking.newcomer)
    assert (estimate.reason, estimate.total) == (EstimateReason.INTAKE_BOOKED, Decimal("250.00"))


@pytest.mark.parametrize(
    ("switch", "message"),
    [
        ("therapist_off", "not taking first sessions online"),
        ("not_taking_new", "not taking first sessions online"),
        ("clinic_off", "not taking first sessions online"),
    ],
)
def test_no_first_session_online_when_a_switch_is_off(booking, switch, message):
    if switch == "therapist_off":
        online_booking(booking.therapist, on=False)
    elif switch == "not_taking_new":
        online_booking(booking.therapist, new_patients=False)
    else:
        ClinicSettings.objects.update_or_create(id=1, defaults={"self_booking_enabled": False})
    with pytest.raises(PermissionDenied, match=message):
        _book(booking)
    assert not Appointment.objects.exists()


def test_staff_do_not_book_through_the_patients_path(booking):
    with pytest.raises(PermissionDenied, match="Only patients"):
        _book(booking, actor=booking.front_desk)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (lambda: at(MONDAY - dt.timedelta(days=7), 15), "at least 24 hours ahead"),
        (lambda: at(MONDAY + dt.timedelta(weeks=8), 10), "up to 8 weeks ahead"),
        (lambda: at(MONDAY, 17), "outside Theo Rapist's working hours"),
        (lambda: at(MONDAY + dt.timedelta(days=5), 10), "does not work on Saturdays"),
        (lambda: at(MONDAY, 12), "has time off"),
    ],
)
def test_a_time_the_rules_refuse_is_refused_with_the_reason_and_nothing_written(booking, start, message):
    TimeOff.objects.create(therapist=booking.therapist, start=at(MONDAY, 12), end=at(MONDAY, 14))
    with pytest.raises(Unprocessable, match=message):
        _book(booking, start=start())
    assert not Appointment.objects.exists()
    assert not GoodFaithEstimate.objects.exists()


def test_a_taken_slot_is_a_conflict(booking, session):
    with pytest.raises(Conflict):
        _book(booking, start=at(MONDAY, 10, 30))
    assert Appointment.objects.count() == 1


def test_one_coming_first_session_at_a_time(booking):
    _book(booking)
    with pytest.raises(Conflict, match=r"already have a first session on \w+, \w+ \d+ at \d{1,2}:\d\d [AP]M\. Move"):
        _book(booking, start=at(MONDAY, 14))


def test_a_reduced_fee_patient_past_the_cap_is_sent_to_the_front_desk(booking):
    TherapistProfile.objects.filter(user=booking.therapist).update(reduced_fee_cap=0)
    booking.therapist.refresh_from_db()
    approved_assessment(booking.newcomer, household_size=4, income="30000")
    with pytest.raises(Conflict, match="call the front desk"):
        _book(booking)
    assert not Appointment.objects.exists()


def test_past_the_cap_the_week_page_says_so_before_any_time_is_chosen(booking, login):
    TherapistProfile.objects.filter(user=booking.therapist).update(reduced_fee_cap=0)
    approved_assessment(booking.newcomer, household_size=4, income="30000")
    page = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", follow=True)
    body = page.content.decode()
    assert "cannot take on more clients at a reduced fee just now" in body
    assert page.redirect_chain[-1][0] == "/portal/book/"
    assert "/confirm/?start=" not in body


def test_the_intake_fee_is_at_the_patients_sliding_scale_class(booking):
    approved_assessment(booking.newcomer, household_size=4, income="30000")
    _book(booking)
    [estimate] = GoodFaithEstimate.objects.filter(patient=booking.newcomer)
    assert estimate.total < Decimal("250.00")


def test_a_patient_moves_their_session_with_the_moved_notice(booking, session):
    moved = self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY, 14))
    assert moved.start == at(MONDAY, 14)
    assert moved.status == AppointmentStatus.BOOKED
    assert Message.objects.filter(purpose="appointment_moved", patient=booking.patient).exists()
    [estimate] = GoodFaithEstimate.objects.filter(patient=booking.patient)
    assert (estimate.reason, estimate.total) == (EstimateReason.SESSION_MOVED, Decimal("200.00"))


def test_a_move_keeps_a_running_estimate(booking, session):
    self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY, 14))
    self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY, 15))
    assert GoodFaithEstimate.objects.filter(patient=booking.patient).count() == 1


def test_a_move_inside_the_late_cancel_window_is_refused_with_the_policy(booking, session, frozen_now):
    frozen_now.move_to(at(MONDAY - dt.timedelta(days=1), 12))
    with pytest.raises(Unprocessable, match="up to 24 hours before"):
        self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY + dt.timedelta(1), 14))
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10)


def test_another_patients_session_cannot_be_moved(booking, session):
    with pytest.raises(PermissionDenied, match="only your own"):
        self_booking_move(actor=booking.other_patient_user, appointment=session, start=at(MONDAY, 14))
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10)


def test_a_therapist_without_online_booking_keeps_their_sessions_where_they_are(booking, session):
    online_booking(booking.therapist, on=False)
    session.therapist.refresh_from_db()
    with pytest.raises(PermissionDenied, match="cannot be moved online"):
        self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY, 14))


def test_a_move_into_time_off_is_refused(booking, session):
    TimeOff.objects.create(therapist=booking.therapist, start=at(MONDAY, 12), end=at(MONDAY, 18))
    with pytest.raises(Unprocessable, match="time off"):
        self_booking_move(actor=booking.patient_user, appointment=session, start=at(MONDAY, 14))
