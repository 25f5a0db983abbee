"""Programs that form before they run: proposing, the interest list, notices, launch and calling off."""

import datetime as dt

import pytest

from apps.billing.demo import config_seed
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.programs.models import Enrollment, EnrollmentStatus, ProgramKind, ProgramStage, PublicRegistrant
from apps.programs.services.formation import (
    interest_register,
    program_call_off,
    program_decision_move,
    program_launch,
    programs_past_decision_call_off,
)
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.programs.services.setup import program_capacity_set
from apps.scheduling.models import Appointment, ServiceType
from apps.waitlist.models import SlotRequest

from .formation_helpers import proposed_program

pytestmark = pytest.mark.django_db


def templates_to(enrollment) -> list[str]:
    return sorted(
        Message.objects.filter(subject_type="programs.enrollment", subject_id=str(enrollment.pk)).values_list(
            "template", flat=True
        )
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minimum_to_launch": 4}, "minimum_to_launch"),
        ({"decision_on": clock.local_now().date() - dt.timedelta(days=1)}, "decision_on"),
        ({"first_meeting_on": clock.local_now().date() + dt.timedelta(days=5)}, "decision_on"),
    ],
    ids=["minimum above capacity", "decision date past", "decision after first meeting"],
)
def test_a_bad_proposal_is_refused_with_the_field_named(personas, changes, field):
    if "first_meeting_on" in changes:
        changes["decision_on"] = changes["first_meeting_on"] + dt.timedelta(days=1)
    with pytest.raises(Unprocessable) as refused:
        proposed_program(actor=personas.front_desk, **changes)
    assert field in refused.value.fields


def test_a_proposed_program_books_no_meetings_until_it_launches(personas):
    program = proposed_program(actor=personas.front_desk)
    assert program.stage == ProgramStage.PROPOSED
    assert program.meetings.count() == 0
    assert not Appointment.objects.filter(patient=None, therapist=program.lead_facilitator).exists()


def test_the_interest_list_is_first_come_once_per_person_and_makes_no_offers(personas, make_patients):
    program = proposed_program(actor=personas.front_desk, capacity=2, minimum_to_launch=2)
    first, second, third = make_patients(3)
    tickets = [interest_register(program=program, patient=p, actor=p.user) for p in (first, second, third)]
    assert [e.waitlist_position for e in tickets] == [1, 2, 3]
    assert {e.status for e in tickets} == {EnrollmentStatus.WAITLISTED}
    with pytest.raises(Conflict):
        interest_register(program=program, patient=first, actor=first.user)
    with pytest.raises(Unprocessable):
        program_enroll(actor=first.user, program=program, patient=first)
    assert not Enrollment.objects.filter(program=program, status=EnrollmentStatus.OFFERED).exists()


def test_everyone_is_told_once_when_the_list_reaches_its_minimum(personas, make_patients):
    program = proposed_program(actor=personas.front_desk, minimum_to_launch=2)
    first, second, third = make_patients(3)
    one = interest_register(program=program, patient=first, actor=first.user)
    assert templates_to(one) == []
    two = interest_register(program=program, patient=second, actor=second.user)
    three = interest_register(program=program, patient=third, actor=third.user)
    for enrollment in (one, two, three):
        assert templates_to(enrollment).count("interest_minimum_reached") == 1


def test_members_of_the_public_join_lecture_lists_only(personas):
    registrant = PublicRegistrant.objects.create(name="Ada Reader", email="ada@example.test")
    group = proposed_program(actor=personas.front_desk)
    with pytest.raises(Unprocessable):
        interest_register(program=group, registrant=registrant, emails_consented_at=clock.now(), actor=None)
    lecture = proposed_program(actor=personas.front_desk, kind=ProgramKind.LECTURE, title="Pain and the brain")
    enrollment = interest_register(program=lecture, registrant=registrant, emails_consented_at=clock.now(), actor=None)
    assert enrollment.waitlist_position == 1
    with pytest.raises(Conflict):
        interest_register(program=lecture, registrant=registrant, emails_consented_at=clock.now(), actor=None)


def test_a_member_of_the_public_joins_a_list_only_with_their_agreement_to_emails(personas):
    registrant = PublicRegistrant.objects.create(name="Ada Reader", email="ada@example.test")
    lecture = proposed_program(actor=personas.front_desk, kind=ProgramKind.LECTURE, title="Pain and the brain")
    with pytest.raises(Unprocessable):
        interest_register(program=lecture, registrant=registrant, actor=None)
    assert not lecture.enrollments.exists()


def test_launch_books_meetings_and_offers_seats_in_ticket_order(personas, make_patients):
    program = proposed_program(actor=personas.front_desk, capacity=2, minimum_to_launch=2)
    people = make_patients(3)
    tickets = [interest_register(program=program, patient=p, actor=p.user) for p in people]
    offers = program_launch(program=program, actor=personas.front_desk)
    program.refresh_from_db()
    assert program.stage == ProgramStage.LAUNCHED and program.launched_at is not None
    assert program.meetings.count() == 4
    assert [o.pk for o in offers] == [tickets[0].pk, tickets[1].pk]
    last = Enrollment.objects.get(pk=tickets[2].pk)
    assert last.status == EnrollmentStatus.WAITLISTED and last.waitlist_position == 3
    for enrollment in tickets:
        assert templates_to(enrollment).count("program_launched") == 1
    with pytest.raises(InvalidTransition):
        program_launch(program=program, actor=personas.front_desk)


def test_launch_offers_public_registrants_a_seat_in_their_turn(personas, make_patients):
    lecture = proposed_program(actor=personas.front_desk, kind=ProgramKind.LECTURE, capacity=2, minimum_to_launch=1)
    registrant = PublicRegistrant.objects.create(name="Ada Reader", email="ada@example.test")
    (patient,) = make_patients(1)
    public = interest_register(program=lecture, registrant=registrant, emails_consented_at=clock.now(), actor=None)
    interest_register(program=lecture, patient=patient, actor=patient.user)
    program_launch(program=lecture, actor=personas.front_desk)
    public.refresh_from_db()
    assert public.status == EnrollmentStatus.OFFERED
    sent = Message.objects.filter(to_address="ada@example.test").values_list("purpose", flat=True)
    assert sorted(sent) == ["interest_minimum_reached", "lecture_seat_offer", "program_launched"]


def test_moving_the_decision_date_tells_the_list_the_new_date_once(personas, make_patients):
    program = proposed_program(actor=personas.front_desk)
    (patient,) = make_patients(1)
    enrollment = interest_register(program=program, patient=patient, actor=patient.user)
    later = program.decision_on + dt.timedelta(days=3)
    program_decision_move(program=program, decision_on=later, actor=personas.front_desk)
    with pytest.raises(Unprocessable):
        program_decision_move(program=program, decision_on=later, actor=personas.front_desk)
    with pytest.raises(Unprocessable):
        program_decision_move(program=program, decision_on=program.first_meeting_on + dt.timedelta(days=1), actor=None)
    message = Message.objects.get(subject_id=str(enrollment.pk), template="program_delayed")
    assert message.context["decision_on"] == later.isoformat()


def test_calling_off_moves_the_list_to_the_next_cohort_in_the_same_order(personas, make_patients):
    program = proposed_program(actor=personas.front_desk, minimum_to_launch=3)
    later = proposed_program(
        actor=personas.front_desk,
        title="Pain recovery group, summer cohort",
        first_meeting_on=program.first_meeting_on + dt.timedelta(days=28),
    )
    people = make_patients(3)
    tickets = [interest_register(program=program, patient=p, actor=p.user) for p in reversed(people)]
    counts = program_call_off(program=program, reason="Not enough interest yet.", actor=personas.front_desk)
    assert counts == {"next_cohort": 3}
    program.refresh_from_db()
    assert program.stage == ProgramStage.NOT_LAUNCHED
    moved = list(later.enrollments.order_by("waitlist_position"))
    assert [e.patient_id for e in moved] == [e.patient_id for e in tickets]
    # Three on a list that needs two: they are told it reached its minimum.
    assert all(templates_to(e) == ["interest_minimum_reached"] for e in moved)
    notice = Message.objects.get(subject_id=str(tickets[0].pk), template="program_not_launched")
    assert notice.context["alternative_kind"] == "next_cohort"
    assert notice.context["alternative_title"] == later.title
    words = message_render(template="program_not_launched", context=notice.context, channel="email").text
    start = later.first_meeting_on
    assert f"{later.title}, starting {start:%A, %B} {start.day}" in words


def test_calling_off_with_no_cohort_puts_patients_on_the_slot_waitlist_with_their_fee(personas, make_patients):
    program = proposed_program(actor=personas.front_desk)
    for code, minutes in (("90791", 60), ("90834", 45), ("90837", 60)):
        ServiceType.objects.create(code=code, name=f"Individual {code}", duration_minutes=minutes)
    config_seed()  # the demo clinic's fees: $200 for 90834 at the full fee
    (patient,) = make_patients(1)
    enrollment = interest_register(program=program, patient=patient, actor=patient.user)
    program_call_off(program=program, reason="The facilitator is away.", actor=personas.front_desk)
    assert SlotRequest.objects.filter(patient=patient, status="waiting").count() == 1
    notice = Message.objects.get(subject_id=str(enrollment.pk), template="program_not_launched")
    assert notice.context["alternative_kind"] == "slot_waitlist"
    assert notice.context["alternative_fee"] == "$200.00"
    words = message_render(template="program_not_launched", context=notice.context, channel="email").text
    assert f"Your fee for it at your sliding-scale rate is {notice.context['alternative_fee']} a session." in words
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.WITHDRAWN


def test_the_daily_check_calls_off_programs_past_their_decision_date(personas, make_patients):
    program = proposed_program(actor=personas.front_desk)
    (patient,) = make_patients(1)
    interest_register(program=program, patient=patient, actor=patient.user)
    type(program).objects.filter(pk=program.pk).update(decision_on=clock.local_now().date() - dt.timedelta(days=1))
    still_open = proposed_program(actor=personas.front_desk, title="Decides today")
    type(still_open).objects.filter(pk=still_open.pk).update(decision_on=clock.local_now().date())
    assert programs_past_decision_call_off() == 1
    program.refresh_from_db()
    still_open.refresh_from_db()
    assert program.stage == ProgramStage.NOT_LAUNCHED
    assert still_open.stage == ProgramStage.PROPOSED
    assert programs_past_decision_call_off() == 0


def test_a_proposal_needs_its_decision_date(personas):
    with pytest.raises(Unprocessable):
        proposed_program(actor=personas.front_desk, decision_on=None)


def test_a_launched_program_that_lost_members_can_shrink_below_its_old_minimum(personas, make_patients, login):
    """The minimum is what a proposal needed to launch; once launched, only the seats taken bound the capacity."""
    program = proposed_program(actor=personas.front_desk, capacity=4, minimum_to_launch=3)
    people = make_patients(3)
    tickets = [interest_register(program=program, patient=p, actor=p.user) for p in people]
    program_launch(program=program, actor=personas.front_desk)
    for ticket in tickets[1:]:
        enrollment_withdraw(actor=personas.front_desk, enrollment=Enrollment.objects.get(pk=ticket.pk))

    program_capacity_set(actor=personas.admin, program=program, capacity=2)
    program.refresh_from_db()
    assert program.capacity == 2 and program.stage == ProgramStage.LAUNCHED

    response = login(personas.admin).post(f"/programs/{program.pk}/capacity/", {"capacity": 1})
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.capacity == 1
