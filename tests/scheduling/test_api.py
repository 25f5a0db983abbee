"""The scheduling API per persona: who may book, see, cancel and change; 409 and 400 bodies."""

import datetime as dt

import pytest

from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentStatus

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def booking(c, **overrides):
    body = {
        "therapist": c.therapist.pk,
        "patient": c.patient.pk,
        "service_type": c.individual.pk,
        "room": c.willow.pk,
        "start": at(MONDAY, 12).isoformat(),
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("who", "therapist", "expected"),
    [
        ("front_desk", "therapist", 201),
        ("admin", "therapist", 201),
        ("therapist", "therapist", 201),
        ("therapist", "other_therapist", 403),
        ("billing", "therapist", 403),
        ("patient_user", "therapist", 403),
    ],
)
def test_who_may_book(clinic, login, who, therapist, expected):
    client = login(getattr(clinic, who), api=True)
    response = client.post("/api/appointments/", booking(clinic, therapist=getattr(clinic, therapist).pk))
    assert response.status_code == expected, response.content
    assert Appointment.objects.exists() == (expected == 201)


def test_a_conflict_answers_409_naming_the_appointment(clinic, login, session):
    client = login(clinic.front_desk, api=True)
    response = client.post(
        "/api/appointments/",
        booking(clinic, patient=clinic.other_patient.pk, room=None, start=at(MONDAY, 10, 15).isoformat()),
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["conflicting_appointment"] == {
        "id": session.pk,
        "start": "2026-06-01T10:00:00-04:00",
        "end": "2026-06-01T10:45:00-04:00",
        "collides_on": ["therapist"],
        "location": "Main office",
    }
    assert clinic.patient.legal_last_name not in response.content.decode()


def test_validation_errors_answer_400_with_field_messages(clinic, login):
    client = login(clinic.front_desk, api=True)
    response = client.post("/api/appointments/", {"therapist": clinic.patient_user.pk, "service_type": 999})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"therapist", "service_type", "start"}


def test_outside_working_hours_answers_422_until_overridden(clinic, login):
    client = login(clinic.front_desk, api=True)
    late = booking(clinic, start=at(MONDAY, 21).isoformat())
    response = client.post("/api/appointments/", late)
    assert response.status_code == 422 and "working hours" in response.json()["error"]["message"]
    response = client.post("/api/appointments/", {**late, "override_reason": "Crisis session"})
    assert response.status_code == 201 and response.json()["override_reason"] == "Crisis session"


def test_staff_lists_what_their_role_allows(clinic, login, session, others_session):
    def ids(user):
        response = login(user, api=True).get("/api/appointments/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(clinic.front_desk) == ids(clinic.billing) == {session.pk, others_session.pk}
    assert ids(clinic.therapist) == {session.pk}
    assert ids(clinic.patient_user) == {session.pk}
    assert ids(clinic.other_patient_user) == {others_session.pk}


def test_a_patient_cannot_see_or_cancel_another_patients_session(clinic, login, others_session):
    client = login(clinic.patient_user, api=True)
    assert client.get(f"/api/appointments/{others_session.pk}/").status_code == 404
    assert client.post(f"/api/appointments/{others_session.pk}/cancel/").status_code == 404
    assert Appointment.objects.get(pk=others_session.pk).status == AppointmentStatus.BOOKED


def test_a_patient_cancels_their_own_session_but_cannot_move_it(clinic, login, session):
    client = login(clinic.patient_user, api=True)
    assert (
        client.post(f"/api/appointments/{session.pk}/reschedule/", {"start": at(MONDAY, 11).isoformat()}).status_code
        == 403
    )
    assert client.post(f"/api/appointments/{session.pk}/check-in/").status_code == 403
    response = client.post(f"/api/appointments/{session.pk}/cancel/", {"reason": "Sick"})
    assert response.status_code == 200 and response.json()[0]["status"] == "cancelled"


def test_a_therapist_cannot_see_another_therapists_session(clinic, login, others_session):
    client = login(clinic.therapist, api=True)
    assert client.get(f"/api/appointments/{others_session.pk}/").status_code == 404
    assert client.post(f"/api/appointments/{others_session.pk}/no-show/").status_code == 404


def test_billing_reads_but_cannot_change(clinic, login, session):
    client = login(clinic.billing, api=True)
    assert client.get(f"/api/appointments/{session.pk}/").status_code == 200
    for action in ("cancel", "check-in", "complete", "no-show"):
        assert client.post(f"/api/appointments/{session.pk}/{action}/").status_code == 403
    assert (
        client.post(f"/api/appointments/{session.pk}/reschedule/", {"start": at(MONDAY, 11).isoformat()}).status_code
        == 403
    )


def test_the_status_flow_through_the_api(clinic, login, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9, 50))
    client = login(clinic.therapist, api=True)
    assert client.post(f"/api/appointments/{session.pk}/check-in/").json()["status"] == "checked_in"
    assert client.post(f"/api/appointments/{session.pk}/no-show/").status_code == 409
    frozen_now.move_to(at(MONDAY, 10, 15))  # started; within the 30-minute idle timeout
    assert client.post(f"/api/appointments/{session.pk}/complete/").json()["status"] == "completed"


def test_rescheduling_through_the_api(clinic, login, session):
    client = login(clinic.front_desk, api=True)
    response = client.post(
        f"/api/appointments/{session.pk}/reschedule/", {"start": at(MONDAY, 14).isoformat(), "room": clinic.cedar.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()[0]["start"] == "2026-06-01T14:00:00-04:00" and response.json()[0]["room"] == clinic.cedar.pk


def test_late_cancel_through_the_api(clinic, login, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 8))
    response = login(clinic.patient_user, api=True).post(f"/api/appointments/{session.pk}/cancel/")
    assert response.json()[0]["status"] == "late_cancelled"


def test_series_preview_and_booking_through_the_api(clinic, login, session):
    client = login(clinic.front_desk, api=True)
    body = {
        "therapist": clinic.therapist.pk,
        "patient": clinic.other_patient.pk,
        "service_type": clinic.individual.pk,
        "first_date": str(MONDAY - dt.timedelta(weeks=1)),
        "local_start_time": "10:00",
        "occurrence_count": 3,
        "allow_past": True,  # its first date is the week before the clock's
    }
    preview = client.post("/api/appointment-series/preview/", body)
    assert preview.status_code == 200
    assert [len(o["conflicts"]) for o in preview.json()["occurrences"]] == [0, 1, 0]
    assert client.post("/api/appointment-series/", body).status_code == 409
    created = client.post("/api/appointment-series/", {**body, "skip_conflicts": True})
    assert created.status_code == 201
    assert len(created.json()["booked"]) == 2 and created.json()["skipped"][0]["date"] == str(MONDAY)
    assert client.get(f"/api/appointment-series/{created.json()['series']['id']}/").status_code == 200
    assert login(clinic.billing, api=True).post("/api/appointment-series/preview/", body).status_code == 403


@pytest.mark.parametrize(("who", "expected"), [("admin", 201), ("front_desk", 403), ("billing", 403)])
def test_only_admins_change_rooms(clinic, login, who, expected):
    client = login(getattr(clinic, who), api=True)
    assert client.get("/api/rooms/").status_code == 200
    assert client.post("/api/rooms/", {"name": "Aspen", "capacity": 1}).status_code == expected


def test_patients_do_not_read_reference_data(clinic, login):
    client = login(clinic.patient_user, api=True)
    assert client.get("/api/rooms/").status_code == 403
    assert client.get("/api/service-types/").status_code == 403


def test_a_therapist_manages_their_own_hours_and_time_off_only(clinic, login):
    client = login(clinic.therapist, api=True)
    own = {"therapist": clinic.therapist.pk, "weekday": 5, "start_time": "09:00", "end_time": "12:00"}
    assert client.post("/api/working-hours/", own).status_code == 201
    assert client.post("/api/working-hours/", {**own, "therapist": clinic.other_therapist.pk}).status_code == 403
    assert client.post("/api/working-hours/", own).status_code == 422  # overlaps the block just added
    off = {"therapist": clinic.therapist.pk, "start": at(MONDAY, 0).isoformat(), "end": at(MONDAY, 23).isoformat()}
    created = client.post("/api/time-off/", off)
    assert created.status_code == 201
    assert {row["therapist"] for row in client.get("/api/working-hours/").json()["results"]} == {clinic.therapist.pk}
    other = login(clinic.other_therapist, api=True)
    assert other.delete(f"/api/time-off/{created.json()['id']}/").status_code == 404
    assert client.delete(f"/api/time-off/{created.json()['id']}/").status_code == 204


@pytest.mark.parametrize("collection", ["/api/time-off/", "/api/working-hours/"])
def test_delete_on_a_whole_collection_is_405_and_removes_nothing(clinic, login, collection):
    client = login(clinic.front_desk, api=True)
    hours = {"therapist": clinic.therapist.pk, "weekday": 5, "start_time": "09:00", "end_time": "12:00"}
    assert client.post("/api/working-hours/", hours).status_code == 201
    before = client.get(collection).json()["count"]
    response = client.delete(collection)
    assert response.status_code == 405
    assert response.json()["error"]["message"]
    assert client.get(collection).json()["count"] == before


def test_opening_a_session_is_access_logged_and_so_is_a_denied_attempt(clinic, login, session):
    from apps.audit.models import AccessLog

    login(clinic.front_desk, api=True).get(f"/api/appointments/{session.pk}/")
    login(clinic.other_therapist, api=True).get(f"/api/appointments/{session.pk}/")
    rows = AccessLog.objects.filter(action="appointment_view", subject_id=str(session.pk)).order_by("pk")
    assert [(r.actor_id, r.allowed, r.patient_id) for r in rows] == [
        (clinic.front_desk.pk, True, clinic.patient.pk),
        (clinic.other_therapist.pk, False, clinic.patient.pk),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/appointments/abc/", None),
        ("get", "/api/appointments/99999999999999999999/", None),
        ("get", "/api/appointments/?therapist=99999999999999999999", None),
        ("get", "/api/appointments/?start_after=yesterday", None),
        ("post", "/api/appointments/", {"therapist": 99999999999999999999, "service_type": "x", "start": "soon"}),
        (
            "post",
            "/api/appointments/",
            {"therapist": "THERAPIST", "service_type": "SERVICE", "start": "9999-12-31T23:59"},
        ),
        ("post", "/api/appointment-series/preview/", {"first_date": "9999-12-31", "local_start_time": "25:00"}),
        ("get", "/api/rooms/99999999999999999999/", None),
    ],
)
def test_nonsense_input_is_a_4xx_never_a_500(clinic, login, method, path, body):
    client = login(clinic.front_desk, api=True)
    if body:
        body = {
            k: {"THERAPIST": clinic.therapist.pk, "SERVICE": clinic.individual.pk}.get(v, v) for k, v in body.items()
        }
    response = getattr(client, method)(path, body, format="json") if body else getattr(client, method)(path)
    assert 400 <= response.status_code < 500, response.content


def test_patients_do_not_see_staff_booking_notes(clinic, login):
    late = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 19, 30),
        override_reason="Agreed with Theo: evening only this week",
    )
    staff = login(clinic.front_desk, api=True).get(f"/api/appointments/{late.pk}/").json()
    mine = login(clinic.patient_user, api=True).get(f"/api/appointments/{late.pk}/").json()
    assert staff["override_reason"] and "override_reason" not in mine
    listed = login(clinic.patient_user, api=True).get("/api/appointments/").json()["results"]
    assert "override_reason" not in listed[0]


def test_adding_time_off_names_the_sessions_to_move(clinic, login, session):
    client = login(clinic.front_desk, api=True)
    body = {"therapist": clinic.therapist.pk, "start": at(MONDAY, 9).isoformat(), "end": at(MONDAY, 12).isoformat()}
    response = client.post("/api/time-off/", body)
    assert response.status_code == 201
    assert [s["id"] for s in response.json()["sessions_to_move"]] == [session.pk]
