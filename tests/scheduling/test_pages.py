"""Staff pages: the calendar and its events feed (constant queries), booking forms, the series preview, my day."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentSeries
from tests.factories import PatientFactory, TherapistFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db
WEEK = {"start": at(MONDAY, 0).isoformat(), "end": at(MONDAY + dt.timedelta(days=7), 0).isoformat()}


def _fill_week(therapists, service_type, hours) -> None:
    for therapist in therapists:
        patient = PatientFactory(primary_therapist=therapist)
        for day in range(5):
            for hour in hours:
                Appointment.objects.create(
                    therapist=therapist,
                    patient=patient,
                    service_type=service_type,
                    start=at(MONDAY + dt.timedelta(days=day), hour),
                    end=at(MONDAY + dt.timedelta(days=day), hour, 45),
                )


def test_the_week_calendar_of_20_therapists_takes_constant_queries(clinic, login, django_assert_max_num_queries):
    therapists = [TherapistFactory() for _ in range(20)]
    client = login(clinic.front_desk)
    url = reverse("scheduling:calendar_events")

    def week_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, WEEK)
        assert response.status_code == 200
        return len(captured), len(response.json())

    _fill_week(therapists, clinic.individual, [9])
    few = week_queries()
    _fill_week(therapists, clinic.individual, [10, 11, 12, 13, 14, 15])
    many = week_queries()
    assert (few[1], many[1]) == (100, 700)
    assert few[0] == many[0]
    # Session, user, device, groups, sessions, late-cancel fees, time off, and the session save: nothing per
    # appointment.
    with django_assert_max_num_queries(6):
        client.get(url, WEEK)


def test_the_calendar_page_carries_its_configuration_in_data_attributes(clinic, login):
    response = login(clinic.front_desk).get(reverse("scheduling:calendar"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-events-url="/schedule/events/"' in html and "scheduling-calendar.js" in html
    assert "<script>" not in html


def test_calendar_events_filter_by_therapist_and_room(clinic, login, session, others_session):
    mine = session
    client = login(clinic.front_desk)
    url = reverse("scheduling:calendar_events")
    assert [e["id"] for e in client.get(url, {**WEEK, "therapist": clinic.therapist.pk}).json()] == [mine.pk]
    assert [e["id"] for e in client.get(url, {**WEEK, "room": clinic.willow.pk}).json()] == [mine.pk]
    assert len(client.get(url, WEEK).json()) == 2
    both = f"{clinic.therapist.pk},{clinic.other_therapist.pk}"
    assert len(client.get(url, {**WEEK, "therapist": both}).json()) == 2
    # A therapist's calendar holds their own sessions only.
    assert [e["id"] for e in login(clinic.therapist).get(url, WEEK).json()] == [mine.pk]
    assert client.get(url, {"start": "nonsense", "end": "x"}).status_code == 400


def test_patients_cannot_open_the_staff_calendar(clinic, login):
    client = login(clinic.patient_user)
    assert client.get(reverse("scheduling:calendar")).status_code == 403
    assert client.get(reverse("scheduling:calendar_events"), WEEK).status_code == 403


def test_clicking_an_empty_slot_opens_the_booking_form_filled_in(clinic, login):
    client = login(clinic.front_desk)
    url = reverse("scheduling:appointment_new")
    response = client.get(url, {"start": "2026-06-01T11:15", "therapist": clinic.therapist.pk})
    assert 'value="2026-06-01"' in response.content.decode() and 'value="11:15' in response.content.decode()
    response = client.post(
        url,
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.patient.pk,
            "service_type": clinic.individual.pk,
            "date": "2026-06-01",
            "time": "11:15",
            "room": clinic.willow.pk,
        },
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "scheduling:appointment_detail", args=[appointment.pk]
    )
    again = client.post(
        url,
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.other_patient.pk,
            "service_type": clinic.individual.pk,
            "date": "2026-06-01",
            "time": "11:30",
        },
    )
    assert again.status_code == 409 and "already has a session on Mon Jun 1, 11:15" in again.content.decode()


def test_billing_cannot_open_the_booking_form(clinic, login):
    assert login(clinic.billing).get(reverse("scheduling:appointment_new")).status_code == 403


def _series_form(c, **overrides):
    data = {
        "therapist": c.therapist.pk,
        "patient": c.patient.pk,
        "service_type": c.individual.pk,
        "first_date": str(MONDAY),
        "local_start_time": "15:00",
        "interval_weeks": "1",
        "ends": "count",
        "occurrence_count": "3",
        "room": c.willow.pk,
    }
    data.update(overrides)
    return data


def _willow_taken_next_monday(clinic):
    """Another patient's session in Willow at 15:00 on the series' second Monday."""
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.other_therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=at(MONDAY + dt.timedelta(weeks=1), 15),
        room=clinic.willow,
    )


def test_the_series_preview_shows_the_colliding_date_before_booking(clinic, login):
    blocker = _willow_taken_next_monday(clinic)
    client = login(clinic.front_desk)
    response = client.post(reverse("scheduling:series_preview"), _series_form(clinic), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.count('badge ok">Free') == 2 and html.count("Collides") == 1
    assert "The room already has a session on" in html
    assert f'href="{reverse("scheduling:appointment_detail", args=[blocker.pk])}"' in html
    assert not AppointmentSeries.objects.exists()

    refused = client.post(reverse("scheduling:series_new"), _series_form(clinic))
    assert refused.status_code == 409 and "1 of 3 dates collide" in refused.content.decode()
    booked = client.post(reverse("scheduling:series_new"), _series_form(clinic, skip_conflicts="on"))
    assert booked.status_code == 302
    assert Appointment.objects.filter(series__isnull=False).count() == 2


def test_booking_a_series_past_a_collision_says_which_date_was_skipped(clinic, login):
    _willow_taken_next_monday(clinic)
    client = login(clinic.front_desk)
    booked = client.post(
        reverse("scheduling:series_new"), _series_form(clinic, skip_conflicts="on"), follow=True
    ).content.decode()
    assert "Series booked: 2 sessions. Skipped: Mon Jun 8, 3:00 PM." in booked
    assert "dates skipped" not in booked


def test_a_therapists_day_shows_todays_sessions_and_checks_them_in(clinic, login, frozen_now):
    frozen_now.move_to(at(MONDAY, 8))
    session = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
        is_telehealth=True,
    )
    client = login(clinic.therapist)
    page = client.get(reverse("scheduling:my_day"))
    assert clinic.patient.display_name in page.content.decode() and "Check in" in page.content.decode()
    client.post(reverse("scheduling:appointment_action", args=[session.pk, "check-in"]), {"next": "/schedule/my-day/"})
    session.refresh_from_db()
    assert session.status == "checked_in"
    assert "Checked in" in client.get(reverse("scheduling:my_day")).content.decode()
    assert login(clinic.front_desk).get(reverse("scheduling:my_day")).status_code == 403


def test_the_session_page_cancels_and_reschedules(clinic, login):
    session = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
    )
    client = login(clinic.front_desk)
    assert client.get(reverse("scheduling:appointment_detail", args=[session.pk])).status_code == 200
    client.post(
        reverse("scheduling:appointment_reschedule", args=[session.pk]),
        {"date": str(MONDAY), "time": "13:00", "scope": "this"},
    )
    session.refresh_from_db()
    assert session.start == at(MONDAY, 13)
    cancel = {"scope": "this", "reason": "Moved away"}
    asked = client.post(reverse("scheduling:appointment_cancel", args=[session.pk]), cancel)
    session.refresh_from_db()
    assert asked.status_code == 200 and "Yes, cancel the session" in asked.content.decode()
    assert session.status == "booked"
    client.post(reverse("scheduling:appointment_cancel", args=[session.pk]), {**cancel, "confirmed": "yes"})
    session.refresh_from_db()
    assert session.status == "cancelled"
    other = login(clinic.other_therapist)
    assert other.get(reverse("scheduling:appointment_detail", args=[session.pk])).status_code == 404


def test_impossible_dates_in_page_links_fall_back_instead_of_failing(clinic, login):
    therapist = login(clinic.therapist)
    assert therapist.get(reverse("scheduling:my_day"), {"date": "2026-02-30"}).status_code == 200
    assert therapist.get(reverse("scheduling:my_day"), {"date": "9999-12-31"}).status_code == 200
    front_desk = login(clinic.front_desk)
    assert front_desk.get(reverse("scheduling:calendar"), {"date": "2026-13-01"}).status_code == 200
    assert front_desk.get(reverse("scheduling:appointment_new"), {"start": "2026-02-30T10:00"}).status_code == 200
    events = front_desk.get(reverse("scheduling:calendar_events"), {"start": "2026-02-30", "end": "2026-03-05"})
    assert events.status_code == 400


def test_the_patient_chart_lists_coming_sessions_and_books_for_that_patient(clinic, login, session):
    chart = login(clinic.front_desk).get(reverse("patients:detail", args=[clinic.patient.pk])).content.decode()
    assert "Coming sessions" in chart and reverse("scheduling:appointment_detail", args=[session.pk]) in chart
    book_link = f"{reverse('scheduling:series_new')}?patient={clinic.patient.pk}&amp;therapist={clinic.therapist.pk}"
    assert book_link in chart
    form = login(clinic.front_desk).get(f"{reverse('scheduling:series_new')}?patient={clinic.patient.pk}")
    assert f'<option value="{clinic.patient.pk}" selected>' in form.content.decode()
    billing_chart = login(clinic.billing).get(reverse("patients:detail", args=[clinic.patient.pk])).content.decode()
    assert "Coming sessions" in billing_chart and "Book a weekly series" not in billing_chart


def test_patients_use_the_portal_not_the_staff_session_pages(clinic, login, session):
    client = login(clinic.patient_user)
    assert client.get(reverse("scheduling:appointment_detail", args=[session.pk])).status_code == 403
    assert (
        client.post(reverse("scheduling:appointment_cancel", args=[session.pk]), {"scope": "this"}).status_code == 403
    )
    session.refresh_from_db()
    assert session.status == "booked"


def test_the_rest_of_a_series_is_offered_only_for_series_sessions(clinic, login):
    single = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 9),
    )
    weekly = services.series_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(15, 0),
        occurrence_count=3,
    )
    client = login(clinic.front_desk)
    rest = "This and all later sessions of the series"
    assert rest not in client.get(reverse("scheduling:appointment_detail", args=[single.pk])).content.decode()
    second = weekly.booked[1]
    assert rest in client.get(reverse("scheduling:appointment_detail", args=[second.pk])).content.decode()
    client.post(reverse("scheduling:appointment_cancel", args=[second.pk]), {"scope": "following", "confirmed": "yes"})
    assert list(
        Appointment.objects.filter(series=weekly.series).order_by("start").values_list("status", flat=True)
    ) == [
        "booked",
        "cancelled",
        "cancelled",
    ]


def test_the_reschedule_form_says_when_an_override_reason_is_needed_as_the_booking_form_does(clinic, login):
    session = services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
        room=clinic.willow,
    )
    client = login(clinic.front_desk)
    booking = client.get(reverse("scheduling:appointment_new")).content.decode()
    detail = client.get(reverse("scheduling:appointment_detail", args=[session.pk])).content.decode()
    hint = "Only to book outside working hours or during time off: say why."
    assert hint in booking and hint in detail
