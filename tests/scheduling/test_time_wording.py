"""Staff pages say a session's time the way reminders, the portal and every other page do: "6:00 PM–6:45 PM", never
the 24-hour "18:00–18:45". The session page, My day, the front desk's day, the calendar's messages and the working
hours and time-off pages all read the one helper (apps.core.when)."""

import pytest
from django.urls import reverse

from apps.scheduling import services
from apps.scheduling.models import Weekday, WorkingHours

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(clinic):
    """Monday 18:00-18:45 clinic time, with the patient in Willow."""
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 18),
        room=clinic.willow,
    )


def _page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_session_page_says_the_time_as_every_other_page_does(clinic, evening, login, frozen_now):
    frozen_now.move_to(at(MONDAY, 17, 50))
    services.appointment_check_in(actor=clinic.front_desk, appointment=evening)
    page = _page(login(clinic.front_desk), reverse("scheduling:appointment_detail", args=[evening.pk]))
    assert "Monday, June 1, 2026, 6:00 PM–6:45 PM" in page
    assert "<dt>Checked in</dt><dd>5:50 PM</dd>" in page
    assert "18:00" not in page and "17:50" not in page


def test_a_cancellation_is_dated_and_timed_in_words(clinic, evening, login, frozen_now):
    frozen_now.move_to(at(MONDAY, 14, 5))
    services.appointment_cancel(appointment=evening, actor=clinic.front_desk, reason="Unwell")
    page = _page(login(clinic.front_desk), reverse("scheduling:appointment_detail", args=[evening.pk]))
    assert "Jun 1, 2:05 PM by" in page and "14:05" not in page


def test_my_day_lists_sessions_in_the_same_words(clinic, evening, login):
    page = _page(login(clinic.therapist), reverse("scheduling:my_day"), date=MONDAY.isoformat())
    assert "6:00 PM–6:45 PM" in page and "18:00" not in page


def test_the_series_preview_and_booking_refusals_say_times_in_the_same_words(clinic, evening, login):
    client = login(clinic.front_desk)
    clash = {
        "therapist": clinic.therapist.pk,
        "patient": clinic.other_patient.pk,
        "service_type": clinic.individual.pk,
        "date": MONDAY.isoformat(),
        "time": "18:15",
        "room": clinic.cedar.pk,
    }
    page = client.post(reverse("scheduling:appointment_new"), clash).content.decode()
    assert "already has a session on Mon Jun 1, 6:00 PM–6:45 PM" in page and "18:00" not in page


def test_working_hours_and_time_off_read_in_the_same_words(clinic, login):
    block = WorkingHours.objects.get(therapist=clinic.therapist, weekday=Weekday.MONDAY)
    services.time_off_save(
        actor=clinic.front_desk, therapist=clinic.therapist, start=at(MONDAY, 13), end=at(MONDAY, 17, 30)
    )
    client = login(clinic.therapist)
    page = _page(client, reverse("scheduling:availability_therapist", args=[clinic.therapist.pk]))
    assert "<td>8:00 AM</td>" in page and "<td>8:00 PM</td>" in page
    assert "Mon, Jun 1, 2026, 1:00 PM–5:30 PM" in page
    assert "13:00" not in page and "20:00" not in page
    overview = _page(login(clinic.front_desk), reverse("scheduling:availability"))
    assert "Mon 8:00 AM–8:00 PM" in overview
    edit = _page(client, reverse("scheduling:availability_edit", args=["hours", block.pk]))
    assert "Now: Monday 8:00 AM–8:00 PM" in edit


def test_a_booking_outside_working_hours_is_refused_in_the_same_words(clinic):
    with pytest.raises(Exception) as caught:
        services.appointment_book(
            actor=clinic.front_desk,
            therapist=clinic.therapist,
            patient=clinic.patient,
            service_type=clinic.individual,
            start=at(MONDAY, 20, 30),
            room=clinic.willow,
        )
    assert "8:30 PM–9:15 PM is outside" in caught.value.message and "(8:00 AM–8:00 PM)" in caught.value.message
