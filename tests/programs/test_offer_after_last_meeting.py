"""A seat offer still open when the program's last meeting begins can no longer be taken: accepting it, from the
portal or the API, is refused with a message and the offer ends (expired), as the program's closing would end it;
the offers' minute sweep ends it too when nobody answers."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine

from apps.core.errors import Conflict
from apps.notifications.models import Message
from apps.programs import selectors
from apps.programs.models import Enrollment, EnrollmentStatus
from apps.programs.services.seats import enrollment_accept_offer, enrollment_withdraw, program_enroll
from apps.waitlist.offers import offer_links, offers_expire
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_offer(personas, make_patients):
    """A one-seat, two-meeting program whose seat was offered an hour before its last meeting; returns the offered
    enrollment and the last meeting's start."""
    program = scheduled_program(actor=personas.front_desk, capacity=1, meeting_count=2)
    member, waiting = make_patients(2)
    seat = program_enroll(actor=personas.front_desk, program=program, patient=member)
    offered = program_enroll(actor=personas.front_desk, program=program, patient=waiting)
    last_start = selectors.program_meetings(program=program).last().appointment.start
    with time_machine.travel(last_start - dt.timedelta(hours=1), tick=False):
        enrollment_withdraw(actor=personas.front_desk, enrollment=seat)
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.OFFERED
    return offered, last_start


def test_accepting_after_the_last_meeting_began_is_refused_and_the_offer_expires(late_offer):
    offered, last_start = late_offer
    with (
        time_machine.travel(last_start + dt.timedelta(minutes=10), tick=False),
        pytest.raises(Conflict, match="last meeting"),
    ):
        enrollment_accept_offer(actor=offered.patient.user, enrollment=offered)

    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.EXPIRED
    assert offered.enrolled_at is None
    assert Message.objects.filter(template="waitlist_closed", subject_id=str(offered.pk)).exists()


def test_the_api_answers_409_and_the_portal_says_why(late_offer, login):
    offered, last_start = late_offer
    with time_machine.travel(last_start + dt.timedelta(minutes=10), tick=False):
        client = login(offered.patient.user, api=True)
        response = client.post(f"/api/enrollments/{offered.pk}/accept-offer/")
    assert response.status_code == 409, response.content
    assert "last meeting" in response.json()["error"]["message"]
    assert Enrollment.objects.get(pk=offered.pk).status == EnrollmentStatus.EXPIRED


def test_the_portal_page_refuses_with_a_message(late_offer, login):
    offered, last_start = late_offer
    with time_machine.travel(last_start + dt.timedelta(minutes=10), tick=False):
        page = login(offered.patient.user)
        response = page.post(f"/portal/programs/enrollments/{offered.pk}/accept/")
    html = response.content.decode()
    assert response.status_code == 409 and 'id="error-summary"' in html
    assert "The seat was not taken. The last meeting of" in html
    assert Enrollment.objects.get(pk=offered.pk).status == EnrollmentStatus.EXPIRED


def test_the_minute_sweep_ends_an_offer_nobody_answered_once_the_last_meeting_began(late_offer):
    offered, last_start = late_offer
    with time_machine.travel(last_start - dt.timedelta(minutes=1), tick=False):
        assert offers_expire(kind="seat") == 0
    with time_machine.travel(last_start + dt.timedelta(minutes=1), tick=False):
        assert offers_expire(kind="seat") == 1
        assert offers_expire(kind="seat") == 0
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.EXPIRED
    assert Message.objects.filter(template="waitlist_closed", subject_id=str(offered.pk)).count() == 1


def test_the_emailed_offer_page_shows_no_accept_button_once_the_last_meeting_began(late_offer, login):
    offered, last_start = late_offer

    def look():
        links = offer_links(kind="seat", object_id=offered.pk, offer_number=offered.offer_count)
        client = login(offered.patient.user)
        page = client.get(urlsplit(links["accept_url"]).path)
        assert page.status_code == 200
        return page.content.decode(), client.get(f"/portal/programs/{offered.program_id}/").content.decode()

    accept_action = f"/portal/programs/enrollments/{offered.pk}/accept/"
    with time_machine.travel(last_start - dt.timedelta(minutes=1), tick=False):
        page, card = look()
    assert "Accept the seat" in page
    assert accept_action in card

    with time_machine.travel(last_start + dt.timedelta(minutes=1), tick=False):
        page, card = look()
    assert "Accept the seat" not in page
    assert "no longer open" in page and "last meeting" in page
    assert accept_action not in card and "last meeting" in card
    # Only looking changes nothing: the offer is ended by an answer or by the minute sweep.
    assert Enrollment.objects.get(pk=offered.pk).status == EnrollmentStatus.OFFERED
