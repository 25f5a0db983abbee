"""The portal pages: choose a therapist, a week of slots, confirm with the fee and estimate; move a session; the
therapist's own switch on their working-hours page."""

import datetime as dt
from unittest import mock
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import TherapistProfile
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.models import ClinicSettings
from apps.patients.models import Patient
from apps.scheduling import services as scheduling
from apps.scheduling.models import Appointment, Location, TimeOff, WorkingHours
from apps.selfbooking import selectors
from tests.places import pacific_office

from .conftest import MONDAY, at, online_booking

pytestmark = pytest.mark.django_db


def _start(value: dt.datetime) -> str:
    return quote(value.isoformat())


def test_the_therapist_list_names_only_those_taking_first_sessions(booking, login, django_assert_max_num_queries):
    client = login(booking.newcomer_user)
    # Two of them ask whether the patient's intake is on record: a session held, or a signed intake note.
    with django_assert_max_num_queries(9):
        page = client.get("/portal/book/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Theo Rapist" in text
    assert booking.other_therapist.full_name not in text
    assert 'href="/portal/book/"' in text  # the portal menu links the page


def test_the_week_page_reads_the_clinic_settings_once(booking, login):
    """The page, its permission checks and its booking window each ask for the settings; one query answers all."""
    client = login(booking.newcomer_user)
    with (
        mock.patch.object(ClinicSettings, "load", wraps=ClinicSettings.load) as load,
        CaptureQueriesContext(connection) as captured,
    ):
        page = client.get(f"/portal/book/{booking.therapist.pk}/", {"week": "2026-06-01"})
    assert page.status_code == 200
    assert load.call_count > 1
    assert sum('"core_clinicsettings"' in query["sql"] for query in captured.captured_queries) == 1


def test_the_week_page_lists_free_times_by_day(booking, login, django_assert_max_num_queries):
    client = login(booking.newcomer_user)
    # Two of them ask whether the patient's intake is on record: a session held, or a signed intake note.
    with django_assert_max_num_queries(16):
        page = client.get(f"/portal/book/{booking.therapist.pk}/", {"week": "2026-06-01"})
    text = page.content.decode()
    assert "Monday, June 1" in text
    assert "9:00 AM" in text
    assert "Later week" in text


def test_without_a_week_the_page_opens_on_the_first_week_with_a_free_time(booking, login, frozen_now):
    client = login(booking.newcomer_user)
    url = f"/portal/book/{booking.therapist.pk}/"
    assert "Tuesday, May 26" in client.get(url).content.decode()  # a day's notice from Monday 09:00
    # Friday evening: the rest of that week is inside the notice period, so the next week opens.
    frozen_now.move_to(at(MONDAY - dt.timedelta(days=3), 18))
    client = login(booking.newcomer_user)  # days later: the first sign-in has timed out
    text = client.get(url).content.decode()
    assert "Monday, June 1" in text and "No free times this week" not in text
    # Away the whole of that week too: the week after.
    TimeOff.objects.create(therapist=booking.therapist, start=at(MONDAY, 0), end=at(MONDAY + dt.timedelta(days=7), 0))
    assert "Monday, June 8" in client.get(url).content.decode()


def test_without_a_free_time_in_the_window_the_page_says_so_for_the_first_week(booking, login):
    TimeOff.objects.create(
        therapist=booking.therapist,
        start=at(MONDAY - dt.timedelta(days=7), 0),
        end=at(MONDAY + dt.timedelta(days=70), 0),
    )
    text = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/").content.decode()
    assert "May 25 – May 31, 2026" in text and "No free times this week" in text


def test_a_week_that_is_not_a_date_is_a_message(booking, login):
    page = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", {"week": "soon"}, follow=True)
    assert "not a date" in page.content.decode()


@pytest.mark.parametrize(("week", "end"), [("0001-01-01", 0), ("0001-01-07", 0), ("9999-12-31", 1)])
def test_a_week_outside_the_booking_window_opens_the_nearest_week_it_reaches(booking, login, session, week, end):
    nearest = selectors.booking_window().weeks()[end]
    for url, client in (
        (f"/portal/book/{booking.therapist.pk}/", login(booking.newcomer_user)),
        (f"/portal/book/move/{session.pk}/", login(booking.patient_user)),
    ):
        page = client.get(url, {"week": week})
        assert page.status_code == 200
        assert page.context["offer"].week == nearest


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00", "2030-06-03T10:00:00-04:00"]
)
def test_a_time_to_confirm_in_a_week_the_window_does_not_reach_is_not_one_shown(booking, login, session, start):
    for url, client in (
        (f"/portal/book/{booking.therapist.pk}/confirm/", login(booking.newcomer_user)),
        (f"/portal/book/move/{session.pk}/confirm/", login(booking.patient_user)),
    ):
        page = client.get(url, {"start": start}, follow=True)
        assert page.status_code == 200
        assert "Choose one of the free times shown." in page.content.decode()
        refused = client.post(url, {"start": start})  # sent: refused on the week page (test_refused_booking)
        assert refused.status_code == 422
        assert "Choose one of the free times shown." in refused.content.decode()
    assert list(Appointment.objects.values_list("pk", flat=True)) == [session.pk]
    session.refresh_from_db()
    assert session.start == at(MONDAY, 10)


def test_the_confirmation_shows_the_fee_and_estimate_then_books(booking, login):
    client = login(booking.newcomer_user)
    url = f"/portal/book/{booking.therapist.pk}/confirm/?start={_start(at(MONDAY, 10))}"
    page = client.get(url)
    text = page.content.decode()
    assert "$250.00" in text
    assert "Good Faith Estimate" in text
    assert not Appointment.objects.exists()
    done = client.post(url, {"start": at(MONDAY, 10).isoformat()}, follow=True)
    assert "Your first session is booked" in done.content.decode()
    assert Appointment.objects.get().patient == booking.newcomer


def test_a_slot_taken_before_confirming_is_refused_not_a_double_booking(booking, login):
    client = login(booking.newcomer_user)
    url = f"/portal/book/{booking.therapist.pk}/confirm/"
    assert client.get(url, {"start": at(MONDAY, 10).isoformat()}).status_code == 200
    scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.individual,
        start=at(MONDAY, 10),
    )
    done = client.post(url, {"start": at(MONDAY, 10).isoformat()})
    assert done.status_code == 409 and "That time is no longer free." in done.content.decode()
    assert Appointment.objects.count() == 1


def test_a_time_outside_working_hours_is_not_offered_for_confirmation(booking, login):
    page = login(booking.newcomer_user).get(
        f"/portal/book/{booking.therapist.pk}/confirm/", {"start": at(MONDAY, 18).isoformat()}, follow=True
    )
    assert "no longer free, or cannot be booked online" in page.content.decode()


def test_a_therapist_without_online_booking_sends_the_patient_back_with_a_message(booking, login):
    online_booking(booking.therapist, on=False)
    page = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", follow=True)
    assert "not taking first sessions online" in page.content.decode()


@pytest.mark.parametrize("who", ["therapist", "front_desk", "admin"])
def test_staff_get_403_on_the_booking_pages(booking, login, who, session):
    client = login(getattr(booking, who))
    assert client.get("/portal/book/").status_code == 403
    assert client.get(f"/portal/book/move/{session.pk}/").status_code == 403


def test_the_move_page_tells_the_session_time_on_its_office_clock(booking, login, session):
    Appointment.objects.filter(pk=session.pk).update(location=pacific_office())
    week = login(booking.patient_user).get(f"/portal/book/move/{session.pk}/").content.decode()
    assert "Move your session of Monday, June 1 at 7:00 AM Los Angeles time with Theo Rapist" in week


def test_the_sessions_page_links_move_and_the_move_pages_work(booking, login, session):
    client = login(booking.patient_user)
    assert f"/portal/book/move/{session.pk}/" in client.get("/portal/sessions/").content.decode()
    week = client.get(f"/portal/book/move/{session.pk}/")
    assert "Move your session of Monday, June 1 at 10:00 AM New York time with Theo Rapist" in week.content.decode()
    url = f"/portal/book/move/{session.pk}/confirm/?start={_start(at(MONDAY, 14))}"
    confirm = client.get(url).content.decode()
    assert "$200.00" in confirm
    assert "Move the session" in confirm
    assert "Monday, June 1 at 2:00 PM New York time" in confirm  # the new time, on the clock it is named on
    done = client.post(url, {"start": at(MONDAY, 14).isoformat()}, follow=True)
    assert "Your session is moved" in done.content.decode()
    session.refresh_from_db()
    assert session.start == at(MONDAY, 14)


def test_another_patients_session_has_no_move_page(booking, login, session):
    client = login(booking.other_patient_user)
    assert client.get(f"/portal/book/move/{session.pk}/").status_code == 404
    assert (
        client.post(f"/portal/book/move/{session.pk}/confirm/", {"start": at(MONDAY, 14).isoformat()}).status_code
        == 404
    )


def test_a_move_too_close_to_the_session_states_the_policy(booking, login, session, frozen_now):
    frozen_now.move_to(at(MONDAY - dt.timedelta(days=1), 12))
    page = login(booking.patient_user).get(f"/portal/book/move/{session.pk}/", follow=True)
    assert "up to 24 hours before they start" in page.content.decode()


def test_inside_the_window_the_sessions_page_offers_no_move_and_says_whom_to_call(booking, login, session, frozen_now):
    frozen_now.move_to(at(MONDAY - dt.timedelta(days=1), 12))
    page = login(booking.patient_user).get("/portal/sessions/").content.decode()
    assert f"/portal/book/move/{session.pk}/" not in page
    assert "too close to the session to move it online: call the front desk" in page
    assert f"/portal/sessions/{session.pk}/cancel/" in page


def test_a_first_session_is_moved_online_only_while_its_therapist_takes_moves(booking, login):
    first = scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.newcomer,
        service_type=booking.intake,
        start=at(MONDAY, 10),
    )
    client = login(booking.newcomer_user)
    assert f"/portal/book/move/{first.pk}/" in client.get("/portal/book/").content.decode()
    online_booking(booking.therapist, on=False)
    page = client.get("/portal/book/").content.decode()
    assert f"/portal/book/move/{first.pk}/" not in page and "To move it, call the front desk." in page


def test_a_therapist_switches_online_booking_on_their_working_hours_page(booking, login):
    client = login(booking.other_therapist)
    url = f"/schedule/availability/{booking.other_therapist.pk}/"
    assert "Online booking" in client.get(url).content.decode()
    client.post(url, {"kind": "self-booking", "booking-self_booking": "on", "booking-accepts_new_patients": "on"})
    profile = TherapistProfile.objects.get(user=booking.other_therapist)
    assert (profile.self_booking, profile.accepts_new_patients) == (True, True)
    change = AccessLog.objects.get(action="therapist_profile_change")
    assert change.actor == booking.other_therapist
    # What changed, as the profile service logs every change to a therapist's profile: new patients were already on.
    assert (change.detail["before"], change.detail["after"]) == ({"self_booking": False}, {"self_booking": True})


def test_the_admin_sets_the_clinics_booking_window(booking, login):
    client = login(booking.admin)
    form = client.get("/accounts/clinic-settings/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(self_booking_min_notice_hours=48, self_booking_horizon_weeks=4)
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post("/accounts/clinic-settings/", data)
    assert response.status_code == 302, response.context["form"].errors
    clinic = ClinicSettings.load()
    assert (clinic.self_booking_min_notice_hours, clinic.self_booking_horizon_weeks) == (48, 4)


def test_a_therapist_cannot_switch_another_therapists_online_booking(booking, login):
    client = login(booking.other_therapist)
    response = client.post(f"/schedule/availability/{booking.therapist.pk}/", {"kind": "self-booking"})
    assert response.status_code == 403
    assert TherapistProfile.objects.get(user=booking.therapist).self_booking is True


def test_a_week_at_an_office_in_another_zone_names_its_time_as_the_patient_reads_it(booking, login):
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles")
    WorkingHours.objects.filter(therapist=booking.therapist).update(location=west)

    page = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", {"week": "2026-06-01"})

    body = page.content.decode()
    assert "At West office</p>" in body and "Times are Los Angeles time." in body and "America/Los_Angeles" not in body
    assert "9:00 AM" in body


def test_a_week_at_two_offices_names_the_office_of_each_day_and_the_confirmation_says_where(booking, login):
    pasadena = pacific_office()
    WorkingHours.objects.filter(therapist=booking.therapist, weekday=4).update(location=pasadena)
    client = login(booking.newcomer_user)

    body = client.get(f"/portal/book/{booking.therapist.pk}/", {"week": MONDAY.isoformat()}).content.decode()

    assert body.count("At Main office</p>") == 4
    assert "At Pasadena office</p>" in body and "9:00 AM Los Angeles time<span" in body
    friday = clock.local_datetime(MONDAY + dt.timedelta(days=4), dt.time(9), pasadena.zone)
    confirm = client.get(f"/portal/book/{booking.therapist.pk}/confirm/?start={_start(friday)}").content.decode()
    assert (
        "Pasadena office<br>200 Colorado Blvd<br>Pasadena, CA 91101" in confirm
        and "9:00 AM Los Angeles time" in confirm
    )


def test_a_late_sunday_time_at_an_office_behind_the_clinic_is_confirmed_from_the_week_it_was_listed_in(booking, login):
    pasadena = pacific_office()
    WorkingHours.objects.create(
        therapist=booking.therapist, location=pasadena, weekday=6, start_time=dt.time(21), end_time=dt.time(23)
    )
    client = login(booking.newcomer_user)
    sunday = clock.local_datetime(MONDAY + dt.timedelta(days=6), dt.time(21), pasadena.zone)  # Monday on the clinic's
    assert sunday.astimezone(clock.clinic_tz()).date() == MONDAY + dt.timedelta(days=7)

    week = client.get(f"/portal/book/{booking.therapist.pk}/", {"week": MONDAY.isoformat()}).content.decode()
    assert _start(sunday) in week
    confirm = client.get(f"/portal/book/{booking.therapist.pk}/confirm/?start={_start(sunday)}")
    assert confirm.status_code == 200 and "9:00 PM Los Angeles time" in confirm.content.decode()
    done = client.post(f"/portal/book/{booking.therapist.pk}/confirm/", {"start": sunday.isoformat()})
    assert done.status_code == 302 and Appointment.objects.get().start == sunday


def test_a_discharged_patient_is_asked_to_call_instead_of_offered_times(booking, login):
    from apps.patients.services import patient_discharge

    patient_discharge(actor=booking.front_desk, patient=booking.newcomer)
    client = login(booking.newcomer_user)
    page = client.get("/portal/book/").content.decode()
    assert "Your care with the clinic has ended. To book again, please call the front desk." in page
    assert f"/portal/book/{booking.therapist.pk}/" not in page
    week = client.get(f"/portal/book/{booking.therapist.pk}/", {"week": MONDAY.isoformat()}, follow=True)
    assert "To book again, please call the front desk." in week.content.decode()
    done = client.post(f"/portal/book/{booking.therapist.pk}/confirm/", {"start": at(MONDAY, 10).isoformat()})
    assert done.status_code == 302 and not Appointment.objects.exists()


def test_the_week_says_once_which_clock_its_times_are_on(booking, login):
    page = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", {"week": MONDAY.isoformat()})

    body = page.content.decode()
    assert body.count("Times are New York time.") == 1
    assert "9:00 AM<span" in body  # each button says only its time: the page said the clock


def test_a_patient_on_another_clock_reads_their_own_time_on_each_button(booking, login):
    Patient.objects.filter(pk=booking.newcomer.pk).update(time_zone="America/Los_Angeles")

    page = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", {"week": MONDAY.isoformat()})

    body = page.content.decode()
    assert "Times are New York time." in body
    assert '9:00 AM<small class="theirs"> (6:00 AM your time)</small><span' in body


def test_a_week_at_offices_on_two_clocks_names_the_clock_on_each_time(booking, login):
    pasadena = pacific_office()
    WorkingHours.objects.filter(therapist=booking.therapist, weekday=4).update(location=pasadena)

    body = login(booking.newcomer_user).get(f"/portal/book/{booking.therapist.pk}/", {"week": MONDAY.isoformat()})

    text = body.content.decode()
    assert "Times are" not in text
    assert "9:00 AM New York time<span" in text and "9:00 AM Los Angeles time<span" in text
