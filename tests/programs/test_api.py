"""The programs API: who may do what, the actions' answers, and that patients see only their own."""

import datetime as dt

import pytest
import time_machine

from apps.programs import selectors
from apps.programs.models import Enrollment, GroupProgram, WaitlistMove
from apps.programs.services.seats import program_enroll
from tests.factories import UserFactory

from .factories import ProgramFactory, facilitator_with_evening_hours, group_service, scheduled_program

pytestmark = pytest.mark.django_db


def test_anyone_signed_in_reads_the_catalogue_with_free_seats(personas, login, program, make_patients):
    for patient in make_patients(2):
        program_enroll(actor=patient.user, program=program, patient=patient)
    for persona in ["patient_user", "front_desk", "therapist", "billing"]:
        row = login(getattr(personas, persona), api=True).get(f"/api/programs/{program.pk}/").json()
        assert (row["capacity"], row["enrolled_count"], row["seats_free"]) == (3, 2, 1)


def test_a_patient_enrolls_themselves_and_gets_a_place_in_line_when_full(personas, login, program, make_patients):
    for patient in make_patients(3):
        program_enroll(actor=patient.user, program=program, patient=patient)
    client = login(personas.patient_user, api=True)
    response = client.post(f"/api/programs/{program.pk}/enroll/", {}, format="json")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["waitlist_rank"]) == ("waitlisted", 1)
    again = client.post(f"/api/programs/{program.pk}/enroll/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_a_patient_cannot_enroll_someone_else(personas, login, program):
    client = login(personas.patient_user, api=True)
    response = client.post(f"/api/programs/{program.pk}/enroll/", {"patient": personas.other_patient.pk})
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(("persona", "expected"), [("front_desk", 201), ("admin", 201), ("therapist", 403)])
def test_who_may_enroll_a_patient(personas, login, program, persona, expected):
    client = login(getattr(personas, persona), api=True)
    response = client.post(f"/api/programs/{program.pk}/enroll/", {"patient": personas.patient.pk}, format="json")
    assert response.status_code == expected


def test_staff_must_name_the_patient(personas, login, program):
    response = login(personas.front_desk, api=True).post(f"/api/programs/{program.pk}/enroll/", {}, format="json")
    assert response.status_code == 400
    assert "patient" in response.json()["error"]["fields"]


def test_patients_list_only_their_own_enrollments_and_place(personas, login, program, make_patients):
    strangers = make_patients(3)
    for patient in strangers:
        program_enroll(actor=patient.user, program=program, patient=patient)
    mine = program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    program_enroll(actor=personas.other_patient_user, program=program, patient=personas.other_patient)
    client = login(personas.patient_user, api=True)
    rows = client.get("/api/enrollments/").json()["results"]
    assert [(r["id"], r["waitlist_rank"]) for r in rows] == [(mine.pk, 1)]
    other = Enrollment.objects.get(patient=strangers[0])
    assert client.get(f"/api/enrollments/{other.pk}/").status_code == 404
    assert client.post(f"/api/enrollments/{other.pk}/withdraw/").status_code == 404
    assert Enrollment.objects.get(pk=other.pk).status == "enrolled"


def test_the_front_desk_sees_the_waitlist_in_order(personas, login, program, make_patients):
    patients = make_patients(6)
    for patient in patients:
        program_enroll(actor=patient.user, program=program, patient=patient)
    client = login(personas.front_desk, api=True)
    rows = client.get("/api/enrollments/", {"program": program.pk, "status": "waitlisted"}).json()["results"]
    assert [(r["patient"], r["waitlist_rank"]) for r in rows] == [(p.pk, i) for i, p in enumerate(patients[3:], 1)]


def test_withdraw_then_accept_and_decline_offers_through_the_api(personas, login, program, make_patients):
    patients = make_patients(3)
    enrollments = [program_enroll(actor=p.user, program=program, patient=p) for p in patients]
    waiting = program_enroll(actor=personas.patient_user, program=program, patient=personas.patient)
    member = login(patients[0].user, api=True)
    assert member.post(f"/api/enrollments/{enrollments[0].pk}/withdraw/", {"reason": "Moving away"}).status_code == 200
    client = login(personas.patient_user, api=True)
    offered = client.get(f"/api/enrollments/{waiting.pk}/").json()
    assert offered["status"] == "offered" and offered["offer_expires_at"]
    response = client.post(f"/api/enrollments/{waiting.pk}/accept-offer/")
    assert (response.status_code, response.json()["status"]) == (200, "enrolled")
    again = client.post(f"/api/enrollments/{waiting.pk}/decline-offer/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")


def test_raising_capacity_through_the_api_offers_the_new_seats(personas, login, program, make_patients):
    for patient in make_patients(6):
        program_enroll(actor=patient.user, program=program, patient=patient)
    client = login(personas.front_desk, api=True)
    response = client.patch(f"/api/programs/{program.pk}/", {"capacity": 5}, format="json")
    assert response.status_code == 200
    assert (response.json()["offered_count"], response.json()["waitlist_count"]) == (2, 1)
    too_low = client.patch(f"/api/programs/{program.pk}/", {"capacity": 1}, format="json")
    assert too_low.status_code == 409  # below the seats as they now stand


def test_a_change_with_a_refused_capacity_saves_none_of_it(personas, login, program, make_patients):
    for patient in make_patients(3):
        program_enroll(actor=patient.user, program=program, patient=patient)
    client = login(personas.front_desk, api=True)
    changes = {"title": "Thursday group", "charge_no_shows": True, "capacity": 2}
    refused = client.patch(f"/api/programs/{program.pk}/", changes, format="json")
    assert refused.status_code == 409 and list(refused.json()["error"]["fields"]) == ["capacity"]
    assert GroupProgram.objects.values_list("title", "charge_no_shows", "capacity").get(pk=program.pk) == (
        program.title,
        False,
        3,
    )


def test_a_program_whose_creator_was_deleted_is_still_edited(personas, login):
    creator = UserFactory()
    program = ProgramFactory(created_by=creator)
    creator.delete()
    changed = login(personas.front_desk, api=True).patch(
        f"/api/programs/{program.pk}/", {"title": "Renamed", "capacity": 4}, format="json"
    )
    assert changed.status_code == 200
    page = login(personas.front_desk).post(
        f"/programs/{program.pk}/edit/",
        {"title": "Renamed again", "description": "", "enrollment_opens_on": program.enrollment_opens_on.isoformat()},
    )
    assert page.status_code == 302
    program.refresh_from_db()
    assert (program.title, program.capacity, program.created_by) == ("Renamed again", 4, None)


@pytest.mark.parametrize("persona", ["therapist", "billing", "patient_user"])
def test_only_the_front_desk_and_admins_change_programs(personas, login, program, persona):
    response = login(getattr(personas, persona), api=True).patch(f"/api/programs/{program.pk}/", {"capacity": 9})
    assert response.status_code == 403


def test_moving_on_the_waitlist_needs_a_reason_and_the_right_role(personas, login, program, make_patients):
    patients = make_patients(5)
    enrollments = [program_enroll(actor=p.user, program=program, patient=p) for p in patients]
    last = enrollments[-1]
    assert login(personas.therapist, api=True).post(f"/api/enrollments/{last.pk}/move/").status_code == 404
    client = login(personas.front_desk, api=True)
    assert client.post(f"/api/enrollments/{last.pk}/move/", {"to_rank": 1}).status_code == 400
    response = client.post(f"/api/enrollments/{last.pk}/move/", {"to_rank": 1, "reason": "Referral from Dr. K"})
    assert (response.status_code, response.json()["waitlist_rank"]) == (200, 1)
    assert WaitlistMove.objects.get().reason == "Referral from Dr. K"


def test_front_desk_creates_a_program_and_its_meetings(personas, login):
    first = dt.date.today() + dt.timedelta(days=10)
    facilitator = facilitator_with_evening_hours(first.weekday())
    payload = {
        "title": "Knowledge-therapy lecture series",
        "lead_facilitator": facilitator.pk,
        "service_type": group_service().pk,
        "capacity": 20,
        "enrollment_opens_on": dt.date.today().isoformat(),
        "is_telehealth": True,
        "local_start_time": "19:00",
        "first_meeting_on": first.isoformat(),
        "meeting_count": 6,
    }
    client = login(personas.front_desk, api=True)
    response = client.post("/api/programs/", payload, format="json")
    assert response.status_code == 201, response.content
    meetings = client.get(f"/api/programs/{response.json()['id']}/meetings/").json()
    assert len(meetings) == 6
    assert login(personas.therapist, api=True).post("/api/programs/", payload, format="json").status_code == 403


def test_a_facilitator_takes_attendance_and_a_stranger_cannot(personas, login):
    program = scheduled_program(actor=personas.front_desk, lead_facilitator=None)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=personas.patient)
    meeting = selectors.program_meetings(program=program).first()
    url = f"/api/program-meetings/{meeting.pk}/attendance/"
    with time_machine.travel(meeting.appointment.start + dt.timedelta(minutes=5), tick=False):
        facilitator = login(program.lead_facilitator, api=True)
        sheet = facilitator.get(url).json()
        assert [(r["enrollment"], r["status"]) for r in sheet] == [(enrollment.pk, None)]
        response = facilitator.post(
            url, {"records": [{"enrollment": enrollment.pk, "status": "excused"}]}, format="json"
        )
        assert response.status_code == 200 and response.json()[0]["status"] == "excused"
        assert login(personas.therapist, api=True).get(url).status_code == 403
        assert login(personas.patient_user, api=True).get(url).status_code == 403
        bad = facilitator.post(url, {"records": [{"enrollment": 999999, "status": "attended"}]}, format="json")
        assert bad.status_code == 400


def test_an_anonymous_request_is_refused(client, program):
    assert client.get("/api/programs/").status_code in (401, 403)


def test_a_program_needs_a_room_or_video(personas, login):
    first = dt.date.today() + dt.timedelta(days=10)
    payload = {
        "title": "Evening group",
        "lead_facilitator": facilitator_with_evening_hours(first.weekday()).pk,
        "service_type": group_service().pk,
        "capacity": 8,
        "enrollment_opens_on": dt.date.today().isoformat(),
        "local_start_time": "18:00",
        "first_meeting_on": first.isoformat(),
        "meeting_count": 4,
    }
    response = login(personas.front_desk, api=True).post("/api/programs/", payload, format="json")
    assert response.status_code == 422
    assert "room" in response.json()["error"]["fields"]


def test_a_first_meeting_years_away_is_refused_not_a_crash(personas, login):
    payload = {
        "title": "Typo group",
        "lead_facilitator": facilitator_with_evening_hours(0).pk,
        "service_type": group_service().pk,
        "capacity": 8,
        "enrollment_opens_on": "9999-12-01",
        "is_telehealth": True,
        "local_start_time": "18:00",
        "first_meeting_on": "9999-12-27",
        "meeting_count": 10,
    }
    response = login(personas.front_desk, api=True).post("/api/programs/", payload, format="json")
    assert response.status_code == 422
    assert "first_meeting_on" in response.json()["error"]["fields"]
