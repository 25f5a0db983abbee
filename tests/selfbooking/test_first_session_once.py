"""A first session (the intake assessment) is booked online once: a patient whose intake was held, or is on record
as a signed intake note, is told what to do instead, by the service, the pages and the API alike. An intake that
was cancelled or missed started nothing, so it may be booked again."""

import datetime as dt

import pytest

from apps.billing.models import GoodFaithEstimate
from apps.core.errors import Conflict
from apps.notes.demo import INTAKE_CONTENT
from apps.notes.models import NoteTemplate
from apps.notes.services import note_create, note_sign, note_templates_ensure
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.selfbooking.services import self_booking_book
from tests.factories import AppointmentFactory

from .conftest import MONDAY, WEEK_BEFORE, at

pytestmark = pytest.mark.django_db

ALREADY_HAD = "You have already had your first session"
CONFIRM = "/portal/book/{}/confirm/"
BOOK = "/api/self-booking/book/"


def _past_session(b, *, patient, service_type, status, weeks_ago: int = 6):
    """A session of `patient` with the therapist, `weeks_ago` weeks before the frozen clock, at 10:00."""
    start = at(WEEK_BEFORE - dt.timedelta(weeks=weeks_ago), 10)
    return AppointmentFactory(
        therapist=b.therapist,
        patient=patient,
        service_type=service_type,
        start=start,
        end=start + dt.timedelta(minutes=service_type.duration_minutes),
        status=status,
    )


@pytest.fixture
def in_therapy(booking):
    """The patient in weekly therapy: their first session, a regular 45-minute one, carries the signed intake
    note (as the demo clinic writes it), and their weekly sessions go on."""
    note_templates_ensure()  # a transactional test elsewhere may have flushed the migration's rows
    first = _past_session(
        booking, patient=booking.patient, service_type=booking.individual, status=AppointmentStatus.COMPLETED
    )
    note = note_create(
        actor=booking.therapist,
        appointment=first,
        template=NoteTemplate.objects.get(name="Intake assessment"),
        content=INTAKE_CONTENT,
    )
    note_sign(actor=booking.therapist, note=note, attest=True)
    _past_session(
        booking,
        patient=booking.patient,
        service_type=booking.individual,
        status=AppointmentStatus.COMPLETED,
        weeks_ago=1,
    )
    return booking


def _book(b, actor):
    return self_booking_book(actor=actor, therapist=b.therapist, start=at(MONDAY, 14))


# The service


@pytest.mark.parametrize(
    "status", [AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN, AppointmentStatus.BOOKED]
)
def test_a_patient_whose_intake_was_held_is_refused_a_second_one_and_nothing_written(booking, status):
    """A past intake still marked booked was not cancelled or missed: it counts as held."""
    _past_session(booking, patient=booking.newcomer, service_type=booking.intake, status=status)
    with pytest.raises(Conflict, match=f"{ALREADY_HAD}.*send the clinic a message or call the front desk"):
        _book(booking, booking.newcomer_user)
    assert Appointment.objects.filter(patient=booking.newcomer).count() == 1
    assert not GoodFaithEstimate.objects.filter(patient=booking.newcomer).exists()


def test_a_patient_in_weekly_therapy_with_a_signed_intake_note_is_refused_an_intake(in_therapy):
    with pytest.raises(Conflict, match=ALREADY_HAD):
        _book(in_therapy, in_therapy.patient_user)
    assert not Appointment.objects.filter(patient=in_therapy.patient, service_type=in_therapy.intake).exists()


@pytest.mark.parametrize(
    "status", [AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW]
)
def test_an_intake_cancelled_or_missed_may_be_booked_again(booking, status):
    _past_session(booking, patient=booking.newcomer, service_type=booking.intake, status=status)
    booked = _book(booking, booking.newcomer_user)
    assert (booked.service_type, booked.status) == (booking.intake, AppointmentStatus.BOOKED)


def test_a_coming_intake_is_still_offered_to_be_moved_rather_than_refused(booking):
    _book(booking, booking.newcomer_user)
    with pytest.raises(Conflict, match="already have a first session on .* Move it instead"):
        self_booking_book(actor=booking.newcomer_user, therapist=booking.therapist, start=at(MONDAY, 10))


# The portal pages


def test_the_booking_page_tells_a_patient_in_therapy_what_to_do_instead_of_listing_therapists(in_therapy, login):
    page = login(in_therapy.patient_user).get("/portal/book/")
    assert page.status_code == 200
    text = page.content.decode()
    assert ALREADY_HAD in text
    assert 'href="/portal/messages/new/"' in text
    assert 'href="/portal/contact/"' in text
    assert f"/portal/book/{in_therapy.therapist.pk}/" not in text


def test_the_week_page_sends_a_patient_in_therapy_back_with_the_reason(in_therapy, login):
    page = login(in_therapy.patient_user).get(
        f"/portal/book/{in_therapy.therapist.pk}/", {"week": MONDAY.isoformat()}, follow=True
    )
    assert page.redirect_chain[-1][0] == "/portal/book/"
    assert ALREADY_HAD in page.content.decode()
    assert "/confirm/?start=" not in page.content.decode()


def test_a_confirmation_posted_directly_books_no_second_intake(in_therapy, login):
    client = login(in_therapy.patient_user)
    url = CONFIRM.format(in_therapy.therapist.pk)
    assert client.get(url, {"start": at(MONDAY, 14).isoformat()}, follow=True).redirect_chain[-1][0] == "/portal/book/"
    done = client.post(url, {"start": at(MONDAY, 14).isoformat()}, follow=True)
    text = done.content.decode()
    assert ALREADY_HAD in text
    assert "Your first session is booked" not in text
    assert not Appointment.objects.filter(patient=in_therapy.patient, service_type=in_therapy.intake).exists()


def test_after_a_cancelled_intake_the_booking_page_lists_therapists_again(booking, login):
    _past_session(booking, patient=booking.newcomer, service_type=booking.intake, status=AppointmentStatus.CANCELLED)
    text = login(booking.newcomer_user).get("/portal/book/").content.decode()
    assert ALREADY_HAD not in text
    assert f"/portal/book/{booking.therapist.pk}/" in text


# The portal's menu and the sessions page

MENU_BOOK = '<a href="/portal/book/">Book</a>'


def _menu_offers_booking(client) -> bool:
    return MENU_BOOK in client.get("/portal/sessions/").content.decode()


def test_the_menu_offers_booking_to_a_patient_with_no_intake_on_record(booking, login):
    assert _menu_offers_booking(login(booking.newcomer_user))


def test_the_menu_offers_booking_to_move_a_coming_first_session(booking, login):
    _book(booking, booking.newcomer_user)
    assert _menu_offers_booking(login(booking.newcomer_user))


@pytest.mark.parametrize("status", [AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN])
def test_the_menu_leaves_booking_off_once_the_intake_was_held(booking, login, status):
    _past_session(booking, patient=booking.newcomer, service_type=booking.intake, status=status)
    assert not _menu_offers_booking(login(booking.newcomer_user))


def test_the_menu_leaves_booking_off_for_a_patient_in_therapy(in_therapy, login):
    assert not _menu_offers_booking(login(in_therapy.patient_user))


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_after_an_intake_cancelled_or_missed_the_menu_offers_booking_again(booking, login, status):
    _past_session(booking, patient=booking.newcomer, service_type=booking.intake, status=status)
    assert _menu_offers_booking(login(booking.newcomer_user))


def test_the_sessions_page_tells_a_patient_in_therapy_how_to_ask_for_a_session(in_therapy, login):
    text = login(in_therapy.patient_user).get("/portal/sessions/").content.decode()
    assert "Book a first session" not in text
    assert "To book more sessions, ask your therapist" in text
    assert 'href="/portal/messages/new/"' in text


def test_the_sessions_page_still_offers_a_newcomer_their_first_session(booking, login):
    text = login(booking.newcomer_user).get("/portal/sessions/").content.decode()
    assert '<a href="/portal/book/">Book a first session</a>' in text
    assert "To book more sessions" not in text


# The API, through the same service


def test_the_api_refuses_a_second_intake_with_409_and_lists_no_times(in_therapy, login):
    client = login(in_therapy.patient_user, api=True)
    slots = client.get("/api/self-booking/slots/", {"therapist": in_therapy.therapist.pk, "week": "2026-06-01"})
    assert slots.status_code == 409
    assert ALREADY_HAD in slots.json()["error"]["message"]
    booked = client.post(
        BOOK, {"therapist": in_therapy.therapist.pk, "start": at(MONDAY, 14).isoformat()}, format="json"
    )
    assert booked.status_code == 409
    assert ALREADY_HAD in booked.json()["error"]["message"]
    assert not Appointment.objects.filter(patient=in_therapy.patient, service_type=in_therapy.intake).exists()
