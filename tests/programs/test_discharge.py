"""Discharging a patient and their groups: a member of a group still meeting is withdrawn first (they would be
expected and charged at its meetings); an open seat offer is declined by the discharge and goes to the next in line;
a waitlisted patient keeps their place, passed over."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.notifications.models import Message
from apps.patients.models import Patient, PatientStatus
from apps.patients.services import discharge_refusal, patient_discharge, patient_reactivate
from apps.programs.models import Enrollment, GroupProgram
from apps.programs.services.seats import enrollment_accept_offer, enrollment_withdraw, program_enroll
from apps.scheduling.services import appointment_book
from apps.waitlist.services import slot_request_create
from tests.factories import ServiceTypeFactory, api_token_for
from tests.locking import HeldElsewhere
from tests.scheduling.conftest import discharge_held, give_working_hours

from .factories import ProgramFactory, scheduled_program


def _fill(program, make_patients):
    members = make_patients(program.capacity)
    for member in members:
        program_enroll(actor=member.user, program=program, patient=member)
    return members


def _offer_to(personas, program, members, make_patients):
    """The personas' patient is first in line, another patient behind them; a member leaves, so the seat is offered
    to the personas' patient."""
    program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    [behind] = make_patients(1)
    program_enroll(actor=behind.user, program=program, patient=behind)
    enrollment_withdraw(actor=members[0].user, enrollment=Enrollment.objects.get(program=program, patient=members[0]))
    assert Enrollment.objects.get(program=program, patient=personas.patient).status == "offered"
    return behind


@pytest.mark.django_db
def test_a_member_of_a_group_still_meeting_is_withdrawn_before_a_discharge(personas, login):
    program = scheduled_program(actor=personas.admin)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    with pytest.raises(Conflict, match=f"is a member of {program.title}, which still meets"):
        patient_discharge(actor=personas.front_desk, patient=personas.patient)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(personas.front_desk)}")
    answer = client.post(f"/api/patients/{personas.patient.pk}/discharge/")
    assert answer.status_code == 409 and "withdraw them from the program" in answer.json()["error"]["message"]

    page = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/discharge/")
    text = page.content.decode()
    assert page.status_code == 409 and "which still meets" in text
    assert f"/programs/{program.pk}/" in text  # the programs card links the group
    assert "Book a session" not in text and "Yes, discharge" not in text

    enrollment_withdraw(actor=personas.front_desk, enrollment=Enrollment.objects.get(patient=personas.patient))
    assert patient_discharge(actor=personas.front_desk, patient=personas.patient).status == PatientStatus.DISCHARGED


@pytest.mark.django_db
def test_the_refusal_names_every_reason_at_once(personas):
    program = scheduled_program(actor=personas.admin)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    give_working_hours(personas.therapist, start=dt.time(0), end=dt.time(23, 59), weekdays=range(7))
    appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=(clock.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
        override_reason="Any hour the suite runs",
    )
    refusal = discharge_refusal(patient=personas.patient)
    assert "has 1 booked session to come" in refusal and f"is a member of {program.title}" in refusal


@pytest.mark.django_db
def test_a_waitlisted_patient_is_discharged_and_keeps_their_place(personas, make_patients):
    program = scheduled_program(actor=personas.admin, capacity=1)
    _fill(program, make_patients)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    patient_discharge(actor=personas.front_desk, patient=personas.patient)
    assert Enrollment.objects.get(patient=personas.patient).status == "waitlisted"


@pytest.mark.django_db
def test_a_seat_that_came_free_while_they_were_discharged_is_offered_once_they_are_back_in_care(
    personas, make_patients, django_capture_on_commit_callbacks
):
    program = ProgramFactory(capacity=1)
    [member] = _fill(program, make_patients)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    patient_discharge(actor=personas.front_desk, patient=personas.patient)
    enrollment_withdraw(actor=member.user, enrollment=Enrollment.objects.get(patient=member))
    assert Enrollment.objects.get(patient=personas.patient).status == "waitlisted"  # passed over: the seat stays free

    with django_capture_on_commit_callbacks(execute=True):  # offered once the reactivation commits
        patient_reactivate(actor=personas.front_desk, patient=personas.patient)

    offered = Enrollment.objects.get(patient=personas.patient)
    assert (offered.status, offered.offer_count) == ("offered", 1)
    assert Message.objects.filter(template="seat_offer", patient=personas.patient).exists()


@pytest.mark.django_db
def test_an_open_seat_offer_is_declined_by_the_discharge_and_offered_to_the_next_in_line(
    personas, program, make_patients, login, django_capture_on_commit_callbacks
):
    members = _fill(program, make_patients)
    behind = _offer_to(personas, program, members, make_patients)
    page = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/discharge/").content.decode()
    assert "An open offer of a group seat or a weekly time is declined" in page and "seat offered" in page

    with django_capture_on_commit_callbacks(execute=True):  # the seat passes on once the discharge commits
        patient_discharge(actor=personas.front_desk, patient=personas.patient)

    declined = Enrollment.objects.get(patient=personas.patient)
    assert (declined.status, declined.end_reason) == ("declined", "Discharged.")
    assert Enrollment.objects.get(patient=behind).status == "offered"
    with pytest.raises(Exception, match="no open seat offer"):
        enrollment_accept_offer(actor=personas.patient_user, enrollment=declined)


@pytest.mark.django_db(transaction=True)
def test_an_answer_in_flight_is_not_waited_for_and_accepting_after_the_discharge_is_refused(
    personas, program, make_patients
):
    members = _fill(program, make_patients)
    behind = _offer_to(personas, program, members, make_patients)
    # An answer to the offer in flight holds the program's row.
    answer = HeldElsewhere(lambda: GroupProgram.objects.select_for_update().get(pk=program.pk))
    try:
        patient_discharge(actor=personas.front_desk, patient=personas.patient)  # does not wait for the answer
    finally:
        answer.release()
    offered = Enrollment.objects.get(patient=personas.patient)
    assert offered.status == "offered"  # left for the answer in flight, and for its expiry
    with pytest.raises(Unprocessable, match="This patient has been discharged"):
        enrollment_accept_offer(actor=personas.patient_user, enrollment=offered)
    assert Enrollment.objects.get(patient=personas.patient).status == "offered"
    assert Enrollment.objects.get(patient=behind).status == "waitlisted"
    assert Patient.objects.get(pk=personas.patient.pk).status == PatientStatus.DISCHARGED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("joining", ["a program", "the weekly-time waitlist"])
def test_joining_while_a_discharge_is_in_flight_waits_for_it_and_is_refused(personas, program, joining):
    patient = Patient.objects.get(pk=personas.patient.pk)  # read while active, as the enrol form reads it
    discharge = discharge_held(patient.pk)
    discharge.release_soon()
    with pytest.raises(Unprocessable, match="Only active patients"):
        if joining == "a program":
            program_enroll(actor=personas.front_desk, program=program, patient=patient)
        else:
            slot_request_create(
                actor=personas.front_desk,
                patient=patient,
                service_type=ServiceTypeFactory(),
                weekdays=[0],
                earliest_start=dt.time(9),
                latest_start=dt.time(12),
                therapist=None,
            )
    discharge.join()
    assert discharge.committed.is_set() and not Enrollment.objects.filter(patient=patient).exists()


@pytest.mark.django_db(transaction=True)
def test_a_seat_offered_while_a_discharge_is_in_flight_is_declined_by_it(personas, make_patients):
    program = ProgramFactory(capacity=1)
    [member] = make_patients(1)
    program_enroll(actor=member.user, program=program, patient=member)
    program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    # A withdrawal in flight offers the freed seat to the patient, holding their row as it does.
    withdrawal = HeldElsewhere(
        lambda: enrollment_withdraw(actor=member.user, enrollment=Enrollment.objects.get(patient=member))
    )
    withdrawal.release_soon()
    patient_discharge(actor=personas.front_desk, patient=Patient.objects.get(pk=personas.patient.pk))
    withdrawal.join()
    assert Enrollment.objects.get(patient=personas.patient).status == "declined"
