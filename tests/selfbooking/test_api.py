"""/api/self-booking/: slots, book, move; a persona matrix of who may, and bad input answered, never a 500."""

import datetime as dt

import pytest

from apps.scheduling.models import Appointment

from .conftest import MONDAY, at, online_booking

pytestmark = pytest.mark.django_db

SLOTS, BOOK, MOVE = "/api/self-booking/slots/", "/api/self-booking/book/", "/api/self-booking/move/"


def test_slots_of_a_week_with_the_fee(booking, login):
    response = login(booking.newcomer_user, api=True).get(
        SLOTS, {"therapist": booking.therapist.pk, "week": "2026-06-03"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["week"] == "2026-06-01"
    assert dt.datetime.fromisoformat(body["slots"][0]["start"]) == at(MONDAY, 9)
    assert body["fee"]["fee"] == "250.00"
    assert body["fee"]["estimate_is_new"] is True


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"therapist": "x"}, 400),
        ({"therapist": 1, "week": "soon"}, 400),
        ({"week": "2026-06-01"}, 400),
        ({"therapist": 999999}, 404),
    ],
)
def test_bad_slot_queries_are_answered_clearly(booking, login, query, status):
    response = login(booking.newcomer_user, api=True).get(SLOTS, query)
    assert response.status_code == status
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "2026-05-17", "2026-08-03"])
def test_slots_of_a_week_the_booking_window_does_not_reach_are_a_400_naming_the_weeks_it_does(
    booking, login, session, week
):
    # The window runs from Tuesday May 26 (a day's notice) to July 20 (eight weeks): the weeks of May 25 to July 20.
    for query, client in (
        ({"therapist": booking.therapist.pk}, login(booking.newcomer_user, api=True)),
        ({"appointment": session.pk}, login(booking.patient_user, api=True)),
    ):
        response = client.get(SLOTS, {**query, "week": week})
        assert response.status_code == 400, response.content
        assert response.json()["error"]["fields"]["week"] == [
            "Sessions can be booked online from the week of May 25, 2026 to the week of July 20, 2026."
        ]


@pytest.mark.parametrize("week", ["2026-05-25", "2026-07-26"])
def test_slots_of_the_first_and_last_weeks_the_window_reaches_are_listed(booking, login, week):
    response = login(booking.newcomer_user, api=True).get(SLOTS, {"therapist": booking.therapist.pk, "week": week})
    assert response.status_code == 200, response.content
    assert response.json()["slots"]


@pytest.mark.parametrize("who", ["therapist", "front_desk", "admin", "billing"])
def test_staff_are_refused_every_endpoint(booking, login, who):
    client = login(getattr(booking, who), api=True)
    start = at(MONDAY, 10).isoformat()
    assert client.get(SLOTS, {"therapist": booking.therapist.pk}).status_code == 403
    assert client.post(BOOK, {"therapist": booking.therapist.pk, "start": start}).status_code == 403
    assert client.post(MOVE, {"appointment": 1, "start": start}).status_code == 403
    assert not Appointment.objects.exists()


def test_anonymous_is_refused(booking, client):
    assert client.get(SLOTS, {"therapist": booking.therapist.pk}).status_code in (401, 403)


def test_slots_of_a_therapist_without_online_booking_are_403(booking, login):
    response = login(booking.newcomer_user, api=True).get(SLOTS, {"therapist": booking.other_therapist.pk})
    assert response.status_code == 403
    assert "not taking first sessions online" in response.json()["error"]["message"]


def test_book_answers_201_and_a_taken_slot_409(booking, login, session):
    client = login(booking.newcomer_user, api=True)
    taken = client.post(BOOK, {"therapist": booking.therapist.pk, "start": at(MONDAY, 10).isoformat()}, format="json")
    assert taken.status_code == 409
    booked = client.post(BOOK, {"therapist": booking.therapist.pk, "start": at(MONDAY, 14).isoformat()}, format="json")
    assert booked.status_code == 201, booked.content
    assert booked.json()["service_code"] == "90791"
    assert "override_reason" not in booked.json()


@pytest.mark.parametrize(
    ("start", "status"),
    [
        ("not a time", 400),
        ("9999-12-31T23:59:59-12:00", 400),
        ("2026-06-01T18:00:00-04:00", 422),  # after working hours
        ("2026-05-25T09:30:00-04:00", 422),  # inside the least notice
        ("2026-09-01T10:00:00-04:00", 422),  # past the horizon
    ],
)
def test_book_refuses_bad_times_and_writes_nothing(booking, login, start, status):
    response = login(booking.newcomer_user, api=True).post(
        BOOK, {"therapist": booking.therapist.pk, "start": start}, format="json"
    )
    assert response.status_code == status, response.content
    assert response.json()["error"]["message"]
    assert not Appointment.objects.exists()


def test_book_with_a_therapist_who_turned_online_booking_off_is_403(booking, login):
    online_booking(booking.therapist, on=False)
    response = login(booking.newcomer_user, api=True).post(
        BOOK, {"therapist": booking.therapist.pk, "start": at(MONDAY, 10).isoformat()}, format="json"
    )
    assert response.status_code == 403


def test_move_answers_200_and_lists_slots_without_its_own_time_blocking(booking, login, session):
    client = login(booking.patient_user, api=True)
    slots = client.get(SLOTS, {"appointment": session.pk, "week": "2026-06-01"}).json()["slots"]
    assert at(MONDAY, 10, 30).isoformat() in [s["start"] for s in slots]
    moved = client.post(MOVE, {"appointment": session.pk, "start": at(MONDAY, 10, 30).isoformat()}, format="json")
    assert moved.status_code == 200, moved.content
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10, 30)


def test_another_patients_session_is_not_found(booking, login, session):
    client = login(booking.other_patient_user, api=True)
    response = client.post(MOVE, {"appointment": session.pk, "start": at(MONDAY, 14).isoformat()}, format="json")
    assert response.status_code == 404
    assert client.get(SLOTS, {"appointment": session.pk}).status_code == 404
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10)


def test_a_move_inside_the_late_window_is_422_with_the_policy(booking, login, session, frozen_now):
    frozen_now.move_to(at(MONDAY - dt.timedelta(days=1), 12))
    response = login(booking.patient_user, api=True).post(
        MOVE, {"appointment": session.pk, "start": at(MONDAY + dt.timedelta(days=1), 14).isoformat()}, format="json"
    )
    assert response.status_code == 422
    assert "late cancellation" in response.json()["error"]["message"]
