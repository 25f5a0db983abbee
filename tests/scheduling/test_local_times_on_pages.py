"""A session at an office in another time zone reads in that office's time on every page that shows it alone or
among one patient's or one therapist's sessions: 10:00 at the Pasadena office is never shown as the clinic's 13:00."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.notifications.links import appointment_link_token

pytestmark = pytest.mark.django_db


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_before_the_session_the_chart_card_and_the_patients_link_say_pacific_time(
    clinic, pasadena_session, login, client
):
    card = _page(login(clinic.front_desk), reverse("patients:detail", args=[clinic.patient.pk]))
    assert "Mon Jun 1 at 10:00 AM Los Angeles time</a>" in card and "1:00 PM" not in card

    token = appointment_link_token(appointment=pasadena_session, action="confirm")
    link = _page(client, reverse("notifications:appointment_confirm", args=[token]))
    assert "Monday, June 1, 2026 at 10:00 AM Los Angeles time" in link and "1:00 PM" not in link


def test_after_the_session_the_therapists_note_pages_say_pacific_time(clinic, pasadena_session, login, frozen_now):
    frozen_now.move_to(pasadena_session.end + dt.timedelta(hours=1))
    therapist = login(clinic.therapist)
    for url in (
        reverse("notes:session", args=[pasadena_session.pk]),
        reverse("notes:unsigned"),
        f"/notes/patients/{clinic.patient.pk}/chart/",
    ):
        body = _page(therapist, url)
        assert "10:00 AM Los Angeles time" in body and "1:00 PM" not in body, url
