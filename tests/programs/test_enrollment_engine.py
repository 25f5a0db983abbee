"""Enrollment, the first-come-first-served waitlist, seat offers, expiry and capacity changes."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.models import ClinicSettings
from apps.notifications.models import Message
from apps.programs.models import Enrollment, EnrollmentStatus, WaitlistMove
from apps.programs.selectors import enrollments_visible_to
from apps.programs.services.seats import (
    enrollment_accept_offer,
    enrollment_decline_offer,
    enrollment_move,
    enrollment_withdraw,
    program_enroll,
)
from apps.programs.services.setup import program_capacity_set
from apps.waitlist.offers import offers_expire

pytestmark = pytest.mark.django_db


def enroll_all(program, patients, actor=None):
    return [program_enroll(actor=actor or p.user, program=program, patient=p) for p in patients]


def statuses(program):
    return {e.patient_id: e.status for e in Enrollment.objects.filter(program=program)}


def line(program):
    return list(
        Enrollment.objects.filter(program=program, status="waitlisted")
        .order_by("waitlist_position")
        .values_list("patient_id", flat=True)
    )


def test_free_seats_enroll_and_the_rest_wait_in_arrival_order(program, make_patients):
    patients = make_patients(6)
    results = enroll_all(program, patients)
    assert [e.status for e in results] == ["enrolled"] * 3 + ["waitlisted"] * 3
    assert line(program) == [p.pk for p in patients[3:]]
    ranks = [e.waitlist_rank for e in enrollments_visible_to(user=patients[5].user)]
    assert ranks == [3]


def test_enrolled_patient_gets_a_confirmation_and_a_waitlisted_one_does_not(program, make_patients):
    first, *_, last = enroll_all(program, make_patients(4))
    assert Message.objects.filter(template="enrollment_confirmed", subject_id=str(first.pk)).count() == 1
    assert not Message.objects.filter(subject_id=str(last.pk)).exists()


def test_enrolling_twice_is_a_conflict(program, make_patients):
    [patient] = make_patients(1)
    program_enroll(actor=patient.user, program=program, patient=patient)
    with pytest.raises(Conflict, match="already enrolled"):
        program_enroll(actor=patient.user, program=program, patient=patient)


def test_a_withdrawn_patient_may_enroll_again_at_the_back_of_the_line(program, make_patients):
    patients = make_patients(4)
    first, *_ = enroll_all(program, patients)
    enrollment_withdraw(actor=patients[0].user, enrollment=first)
    again = program_enroll(actor=patients[0].user, program=program, patient=patients[0])
    assert again.status == "waitlisted"


def test_withdrawal_offers_the_seat_to_the_first_in_line_for_the_clinics_hold_time(program, make_patients):
    ClinicSettings.objects.update_or_create(id=1, defaults={"seat_offer_hold_hours": 24})
    patients = make_patients(5)
    enrollments = enroll_all(program, patients)
    with time_machine.travel(dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC), tick=False):
        enrollment_withdraw(actor=patients[1].user, enrollment=enrollments[1])
    offer = Enrollment.objects.get(pk=enrollments[3].pk)
    assert offer.status == "offered"
    assert offer.offer_expires_at == dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    assert line(program) == [patients[4].pk]
    message = Message.objects.get(template="seat_offer", channel="email")
    assert message.dedupe_key == f"enrollment:{offer.pk}:seat_offer:1:email"
    assert message.context["program_title"] == program.title
    assert message.context["deadline"] == "2026-11-24T15:00:00+00:00"
    assert message.context["accept_url"].startswith("http")
    assert "/portal/programs/offers/" in message.context["decline_url"]


def test_a_newcomer_waits_behind_people_already_in_line(program, make_patients):
    patients = make_patients(5)
    enrollments = enroll_all(program, patients[:4])
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    newcomer = program_enroll(actor=patients[4].user, program=program, patient=patients[4])
    assert newcomer.status == "waitlisted"
    assert statuses(program)[patients[3].pk] == "offered"


def test_accepting_an_offer_enrolls_and_confirms(program, make_patients):
    patients = make_patients(4)
    enrollments = enroll_all(program, patients)
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    accepted = enrollment_accept_offer(actor=patients[3].user, enrollment=enrollments[3])
    assert accepted.status == "enrolled"
    assert Message.objects.filter(template="enrollment_confirmed", subject_id=str(accepted.pk)).count() == 1


def test_declining_passes_the_seat_to_the_next_in_line(program, make_patients):
    patients = make_patients(5)
    enrollments = enroll_all(program, patients)
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    enrollment_decline_offer(actor=patients[3].user, enrollment=enrollments[3])
    assert statuses(program)[patients[3].pk] == "declined"
    assert statuses(program)[patients[4].pk] == "offered"


def test_an_unclaimed_offer_expires_and_passes_to_the_next_person(program, make_patients):
    patients = make_patients(6)
    enrollments = enroll_all(program, patients)
    start = clock.now()
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    with time_machine.travel(start + dt.timedelta(hours=47), tick=False):
        assert offers_expire(kind="seat") == 0
    with time_machine.travel(start + dt.timedelta(hours=48, minutes=1), tick=False):
        assert offers_expire(kind="seat") == 1
        assert offers_expire(kind="seat") == 0
    assert statuses(program)[patients[3].pk] == "expired"
    assert statuses(program)[patients[4].pk] == "offered"
    assert line(program) == [patients[5].pk]
    assert Message.objects.filter(template="seat_offer_expired", subject_id=str(enrollments[3].pk)).count() == 1


def test_an_offer_cannot_be_accepted_after_its_deadline(program, make_patients):
    patients = make_patients(4)
    enrollments = enroll_all(program, patients)
    start = clock.now()
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    with (
        time_machine.travel(start + dt.timedelta(hours=49), tick=False),
        pytest.raises(InvalidTransition, match="expired"),
    ):
        enrollment_accept_offer(actor=patients[3].user, enrollment=enrollments[3])


def test_an_old_link_does_not_answer_a_newer_offer(program, make_patients):
    patients = make_patients(4)
    enrollments = enroll_all(program, patients)
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    with pytest.raises(InvalidTransition, match="earlier offer"):
        enrollment_accept_offer(actor=patients[3].user, enrollment=enrollments[3], offer_number=0)


def test_raising_capacity_by_k_makes_k_offers_in_line_order(program, make_patients):
    patients = make_patients(7)
    enroll_all(program, patients)
    offers = program_capacity_set(actor=None, program=program, capacity=5)
    assert [o.patient_id for o in offers] == [patients[3].pk, patients[4].pk]
    assert line(program) == [p.pk for p in patients[5:]]
    assert Message.objects.filter(template="seat_offer", channel="email").count() == 2


def test_capacity_cannot_drop_below_seats_taken_or_offered(program, make_patients):
    enroll_all(program, make_patients(3))
    with pytest.raises(Conflict, match="3 seats are taken"):
        program_capacity_set(actor=None, program=program, capacity=2)


def test_a_program_that_did_not_launch_keeps_its_seats_and_its_page_offers_no_change(program, personas, login):
    type(program).objects.filter(pk=program.pk).update(stage="not_launched")
    program.refresh_from_db()
    with pytest.raises(Conflict, match="did not launch. Its seats no longer change"):
        program_capacity_set(actor=None, program=program, capacity=5)
    program_capacity_set(actor=None, program=program, capacity=program.capacity)  # the same seats: nothing changes
    page = login(personas.admin).get(f"/programs/{program.pk}/").content.decode()
    assert "Change capacity" not in page


def test_a_program_past_its_last_meeting_keeps_its_seats(program):
    """Built without meetings, the program's last day for staff to enroll is its first meeting's."""
    after = clock.local_datetime(program.first_meeting_on + dt.timedelta(days=2), dt.time(12))
    with (
        time_machine.travel(after, tick=False),
        pytest.raises(Conflict, match="has closed. Its seats no longer change"),
    ):
        program_capacity_set(actor=None, program=program, capacity=5)


def test_the_database_refuses_more_seats_than_capacity_even_without_the_services(program, make_patients):
    patients = make_patients(4)
    enroll_all(program, patients[:3])
    with pytest.raises(IntegrityError, match="is full"), transaction.atomic():
        Enrollment.objects.create(program=program, patient=patients[3], status=EnrollmentStatus.ENROLLED)
    with pytest.raises(IntegrityError, match="capacity"), transaction.atomic():
        type(program).objects.filter(pk=program.pk).update(capacity=2)


def test_the_database_refuses_two_live_enrollments_and_shared_places_in_line(program, make_patients):
    patients = make_patients(5)
    enroll_all(program, patients[:4])
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(program=program, patient=patients[3], status="waitlisted", waitlist_position=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(program=program, patient=patients[4], status="waitlisted", waitlist_position=1)


def test_staff_move_someone_up_the_waitlist_with_a_recorded_reason(program, make_patients, personas):
    patients = make_patients(6)
    enrollments = enroll_all(program, patients)
    move = enrollment_move(
        actor=personas.front_desk, enrollment=enrollments[5], to_rank=1, reason="Clinician referral, acute need"
    )
    assert line(program) == [patients[5].pk, patients[3].pk, patients[4].pk]
    assert (move.from_rank, move.to_rank, move.moved_by) == (3, 1, personas.front_desk)
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    assert statuses(program)[patients[5].pk] == "offered"


def test_moving_without_a_reason_is_refused(program, make_patients, personas):
    enrollments = enroll_all(program, make_patients(5))
    with pytest.raises(Unprocessable, match="reason"):
        enrollment_move(actor=personas.front_desk, enrollment=enrollments[4], to_rank=1, reason=" ")
    assert not WaitlistMove.objects.exists()


def test_patients_enroll_only_inside_the_window_but_staff_may_enroll_late(program, make_patients, personas):
    [patient] = make_patients(1)
    program.enrollment_closes_on = clock.local_now().date() - dt.timedelta(days=1)
    program.save()
    with pytest.raises(Unprocessable, match="closed"):
        program_enroll(actor=patient.user, program=program, patient=patient)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=patient)
    assert enrollment.status == "enrolled"


def test_a_discharged_patient_cannot_enroll(program, personas):
    from apps.patients.services import patient_discharge

    patient = patient_discharge(actor=personas.admin, patient=personas.patient)
    with pytest.raises(Unprocessable, match="active"):
        program_enroll(actor=personas.front_desk, program=program, patient=patient)


def test_the_expiry_task_runs_the_service(program, make_patients):
    from apps.waitlist.tasks import expire_offers

    patients = make_patients(4)
    enrollments = enroll_all(program, patients)
    start = clock.now()
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    with time_machine.travel(start + dt.timedelta(hours=50), tick=False):
        assert expire_offers() == 1


def test_a_discharged_patient_in_line_is_passed_over_for_the_next(program, make_patients, personas):
    from apps.patients.services import patient_discharge

    patients = make_patients(5)
    enrollments = enroll_all(program, patients)
    patient_discharge(actor=personas.admin, patient=patients[3])
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    assert statuses(program)[patients[3].pk] == "waitlisted"
    assert statuses(program)[patients[4].pk] == "offered"


def test_a_free_seat_is_not_held_back_by_a_discharged_patient_in_line(program, make_patients, personas):
    from apps.patients.services import patient_discharge

    patients = make_patients(5)
    enrollments = enroll_all(program, patients[:4])
    patient_discharge(actor=personas.admin, patient=patients[3])
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    newcomer = program_enroll(actor=patients[4].user, program=program, patient=patients[4])
    assert newcomer.status == "enrolled"
