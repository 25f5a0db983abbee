"""A booking or a move the portal refuses answers as every refused form does: the week of the time chosen comes back
with its free times to choose another, a summary at its top saying what was not done and why, 409 when the time was
taken meanwhile and 422 for a time that is no free time, and nothing is booked, moved or estimated."""

import datetime as dt
from urllib.parse import quote

import pytest

from apps.billing.models import GoodFaithEstimate
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'


def _week_refused(response, status: int, said: str) -> str:
    """The week page, refused: its status, the summary with what it says, the week of the time chosen kept."""
    html = response.content.decode()
    assert response.status_code == status
    assert SUMMARY in html and said in html
    assert response.context["offer"].week == MONDAY
    return html


def _taken_by_another(booking, hour: int) -> Appointment:
    """Another patient's session with the therapist, booked at the desk while the patient was confirming."""
    return scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.individual,
        start=at(MONDAY, hour),
    )


def test_a_first_session_at_a_time_taken_meanwhile_is_a_conflict_on_the_week_with_the_other_times(booking, login):
    client = login(booking.newcomer_user)
    url = f"/portal/book/{booking.therapist.pk}/confirm/"
    assert client.get(url, {"start": at(MONDAY, 10).isoformat()}).status_code == 200
    taken = _taken_by_another(booking, 10)

    response = client.post(url, {"start": at(MONDAY, 10).isoformat()})

    html = _week_refused(
        response, 409, "Your first session was not booked. That time is no longer free. Choose one of the free times"
    )
    assert "Book a first session with Theo Rapist" in html
    assert "already has a session" not in html  # someone else's session is not the patient's to be told of
    assert f"{url}?start={quote(at(MONDAY, 14).isoformat())}" in html  # another time, to choose instead
    assert f"{url}?start={quote(at(MONDAY, 10).isoformat())}" not in html  # the week as it stands: taken
    assert list(Appointment.objects.values_list("pk", flat=True)) == [taken.pk]
    assert not GoodFaithEstimate.objects.filter(patient=booking.newcomer).exists()


def test_a_move_to_a_time_taken_meanwhile_is_a_conflict_and_the_session_stays(booking, login, session):
    client = login(booking.patient_user)
    url = f"/portal/book/move/{session.pk}/confirm/"
    assert client.get(url, {"start": at(MONDAY, 14).isoformat()}).status_code == 200
    taken = scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.other_patient,
        service_type=booking.individual,
        start=at(MONDAY, 14),
    )

    response = client.post(url, {"start": at(MONDAY, 14).isoformat()})

    html = _week_refused(response, 409, "Your session was not moved. That time is no longer free.")
    assert "Move your session of Monday, June 1 at 10:00 AM New York time with Theo Rapist" in html
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10)
    assert set(Appointment.objects.values_list("pk", flat=True)) == {session.pk, taken.pk}


@pytest.mark.parametrize("start", [None, "", "tomorrow", "2026-06-01T10:00:00", "9999-12-31T23:00:00-12:00"])
def test_a_confirmation_sent_without_a_time_it_could_book_is_refused_422(booking, login, start):
    posted = {} if start is None else {"start": start}
    response = login(booking.newcomer_user).post(f"/portal/book/{booking.therapist.pk}/confirm/", posted)
    html = response.content.decode()
    assert response.status_code == 422
    assert SUMMARY in html and "Your first session was not booked. Choose one of the free times shown." in html
    assert not Appointment.objects.exists()


def test_a_time_outside_working_hours_sent_anyway_is_refused_422_on_its_week(booking, login, session):
    response = login(booking.patient_user).post(
        f"/portal/book/move/{session.pk}/confirm/", {"start": at(MONDAY, 18).isoformat()}
    )
    _week_refused(response, 422, "Your session was not moved.")
    assert "Choose one of the free times shown." in response.content.decode()
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10)


def test_the_refused_weeks_links_lead_to_the_week_page_not_back_to_the_confirmation(booking, login):
    _taken_by_another(booking, 10)
    therapist = booking.therapist.pk
    response = login(booking.newcomer_user).post(
        f"/portal/book/{therapist}/confirm/", {"start": at(MONDAY, 10).isoformat()}
    )
    html = _week_refused(response, 409, "Your first session was not booked.")
    assert f'href="/portal/book/{therapist}/?week={(MONDAY + dt.timedelta(days=7)).isoformat()}"' in html
    assert 'href="?week=' not in html
