"""A patient cannot cancel a session that has begun: the time is no longer theirs to give back. Staff still can
(the clinic cancelled, or a history entered after the fact)."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.errors import Unprocessable
from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentStatus

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def video_session(clinic):
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=at(MONDAY, 10),
        is_telehealth=True,
    )


def test_a_patient_cannot_cancel_a_session_under_way_in_the_portal(clinic, login, video_session, frozen_now):
    frozen_now.move_to(video_session.start + dt.timedelta(minutes=20))
    client = login(clinic.patient_user)
    listed = client.get(reverse("portal:sessions:list")).content.decode()
    assert video_session.telehealth_url in listed
    assert reverse("portal:sessions:cancel", args=[video_session.pk]) not in listed
    response = client.post(reverse("portal:sessions:cancel", args=[video_session.pk]), follow=True)
    assert "already begun" in response.content.decode()
    assert Appointment.objects.get(pk=video_session.pk).status == AppointmentStatus.BOOKED


def test_a_patient_cannot_cancel_a_session_under_way_through_the_api(clinic, login, video_session, frozen_now):
    frozen_now.move_to(video_session.start + dt.timedelta(minutes=20))
    response = login(clinic.patient_user, api=True).post(f"/api/appointments/{video_session.pk}/cancel/")
    assert response.status_code == 422
    assert Appointment.objects.get(pk=video_session.pk).status == AppointmentStatus.BOOKED


def test_a_patient_cannot_cancel_a_session_gone_by(clinic, video_session, frozen_now):
    frozen_now.move_to(video_session.end + dt.timedelta(days=1))
    with pytest.raises(Unprocessable, match="already begun"):
        services.appointment_cancel(appointment=video_session, actor=clinic.patient_user)


def test_staff_may_still_cancel_a_session_under_way(clinic, video_session, frozen_now):
    frozen_now.move_to(video_session.start + dt.timedelta(minutes=5))
    cancelled = services.appointment_cancel(
        appointment=video_session, actor=clinic.front_desk, reason="Therapist unwell", waive_late_fee=True
    )
    assert cancelled.status == AppointmentStatus.CANCELLED


def test_a_patient_may_still_cancel_late_before_the_start(clinic, video_session, frozen_now):
    frozen_now.move_to(video_session.start - dt.timedelta(minutes=5))
    cancelled = services.appointment_cancel(appointment=video_session, actor=clinic.patient_user)
    assert cancelled.status == AppointmentStatus.LATE_CANCELLED


def test_the_portal_confirmation_refuses_a_session_under_way_as_cancelling_does(
    clinic, login, video_session, frozen_now
):
    frozen_now.move_to(video_session.start + dt.timedelta(minutes=20))
    client = login(clinic.patient_user)
    url = reverse("portal:sessions:cancel", args=[video_session.pk])

    asked = client.get(url)
    refused = client.post(url)

    body = asked.content.decode()
    assert asked.status_code == refused.status_code == 422
    assert "already begun" in body and "already begun" in refused.content.decode()
    assert "Cancel and accept the fee" not in body and 'method="post"' not in body.split("<main")[-1]
    assert Appointment.objects.get(pk=video_session.pk).status == AppointmentStatus.BOOKED


def test_the_api_preview_refuses_a_patient_a_session_under_way_with_the_cancels_message(
    clinic, login, video_session, frozen_now
):
    frozen_now.move_to(video_session.start + dt.timedelta(minutes=20))
    api = login(clinic.patient_user, api=True)

    preview = api.get(f"/api/appointments/{video_session.pk}/cancel-preview/")
    cancel = api.post(f"/api/appointments/{video_session.pk}/cancel/")

    assert preview.status_code == cancel.status_code == 422
    assert preview.json()["error"]["message"] == cancel.json()["error"]["message"]
    assert "already begun" in preview.json()["error"]["message"]


def test_staff_may_still_preview_cancelling_a_session_under_way(clinic, login, video_session, frozen_now):
    frozen_now.move_to(video_session.start + dt.timedelta(minutes=20))
    response = login(clinic.front_desk, api=True).get(f"/api/appointments/{video_session.pk}/cancel-preview/")
    assert response.status_code == 200 and response.json()["late"] is True
