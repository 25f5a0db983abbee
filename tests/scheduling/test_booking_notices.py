"""A booking sends the patient a confirmation (a series: ONE message listing its dates) and a move sends a notice,
through the outbox, by the patient's channels; nothing about sessions already begun, nothing clinical."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.patients.models import Patient
from apps.patients.services import patient_reminder_preferences_set, patient_sms_opt_out
from apps.scheduling import services

from .conftest import MONDAY, at, weekly_at_three

pytestmark = pytest.mark.django_db


def _notices(purpose: str):
    return Message.objects.filter(purpose=purpose).order_by("channel")


def _book(clinic, start=None, **extra):
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=start or at(MONDAY, 10),
        room=clinic.willow,
        **extra,
    )


def test_a_booking_emails_the_patient_a_confirmation_of_when_with_whom_and_where(clinic):
    appointment = _book(clinic)

    [notice] = _notices("appointment_booked")

    assert (notice.channel, notice.to_address, notice.patient) == ("email", clinic.patient.email, clinic.patient)
    assert notice.subject_id == str(appointment.pk) and notice.send_at == clock.now()
    assert [dt.datetime.fromisoformat(s["start"]) for s in notice.context["sessions"]] == [appointment.start]
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    assert rendered.subject == "Booked: your session on Monday, June 1 at 10:00 AM New York time"
    for part in (rendered.text, rendered.html):
        assert "Monday, June 1, 2026 at 10:00 AM New York time" in part and "Theo" in part and "Willow" in part


def test_a_series_sends_one_message_listing_its_dates(clinic):
    weekly = weekly_at_three(clinic)

    [notice] = _notices("appointment_booked")

    assert notice.subject_type == "scheduling.appointmentseries" and notice.subject_id == str(weekly.series.pk)
    assert [dt.datetime.fromisoformat(s["start"]) for s in notice.context["sessions"]] == [
        a.start for a in weekly.booked
    ]
    text = message_render(template=notice.template, context=notice.context, channel="email").text
    for day in ("June 1", "June 8", "June 15", "June 22"):
        assert f"Monday, {day}, 2026 at 3:00 PM" in text
    assert message_render(template=notice.template, context=notice.context, channel="email").subject == (
        "Booked: your 4 sessions from Monday, June 1"
    )


def test_a_move_sends_a_notice_with_the_old_and_the_new_time(clinic, session):
    services.appointment_reschedule(appointment=session, actor=clinic.front_desk, start=at(MONDAY, 14))

    [notice] = _notices("appointment_moved")

    [line] = notice.context["sessions"]
    moved = (dt.datetime.fromisoformat(line["previous_start"]), dt.datetime.fromisoformat(line["start"]))
    assert moved == (at(MONDAY, 10), at(MONDAY, 14))
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    assert "Now Monday, June 1, 2026 at 2:00 PM" in rendered.text and "was Monday, June 1 at 10:00 AM" in rendered.text


def test_moving_the_rest_of_a_series_sends_one_notice(clinic):
    weekly = weekly_at_three(clinic, count=3)
    services.appointment_reschedule(
        appointment=weekly.booked[0],
        actor=clinic.front_desk,
        start=at(MONDAY + dt.timedelta(days=1), 16),
        scope="following",
    )
    [notice] = _notices("appointment_moved")
    assert len(notice.context["sessions"]) == 3


def test_moving_a_session_away_and_back_announces_each_move(clinic, session):
    for hour in (14, 10, 14):
        services.appointment_reschedule(appointment=session, actor=clinic.front_desk, start=at(MONDAY, hour))
    assert _notices("appointment_moved").count() == 3


def test_a_patient_who_agreed_to_texts_also_gets_a_text(clinic):
    patient_reminder_preferences_set(
        actor=clinic.front_desk, patient=clinic.patient, email=True, sms=True, sms_consent=True
    )
    clinic.patient.refresh_from_db()
    weekly_at_three(clinic)

    email, sms = _notices("appointment_booked")

    assert (email.channel, sms.channel, sms.to_address) == ("email", "sms", clinic.patient.phone)
    text = message_render(template=sms.template, context=sms.context, channel="sms").sms
    assert "4 sessions are booked" in text and "Reply STOP" in text and len(text) <= 320


def test_no_text_without_consent_or_after_stop_and_no_email_without_an_address(clinic, session):
    patient_reminder_preferences_set(
        actor=clinic.front_desk, patient=clinic.patient, email=True, sms=True, sms_consent=True
    )
    patient_sms_opt_out(patient=clinic.patient)
    Patient.objects.filter(pk=clinic.patient.pk).update(email="")
    clinic.patient.refresh_from_db()

    services.appointment_reschedule(appointment=session, actor=clinic.front_desk, start=at(MONDAY, 14))
    _book(clinic, start=at(MONDAY, 16))

    assert not _notices("appointment_moved").exists()
    # Only the confirmation queued by email before the address was removed.
    assert [(m.subject_id, m.channel) for m in _notices("appointment_booked")] == [(str(session.pk), "email")]


def test_no_notice_for_a_session_already_begun(clinic, frozen_now):
    frozen_now.move_to(at(MONDAY, 12))
    past = _book(clinic, start=at(MONDAY, 9), override_reason="Entered after the fact", allow_past=True)
    assert not _notices("appointment_booked").exists()
    services.appointment_reschedule(
        appointment=past,
        actor=clinic.front_desk,
        start=at(MONDAY, 8),
        override_reason="Entered after the fact",
        allow_past=True,
    )
    assert not _notices("appointment_moved").exists()


def test_a_series_begun_in_the_past_lists_only_the_dates_to_come(clinic, frozen_now):
    frozen_now.move_to(at(MONDAY + dt.timedelta(days=8), 9))
    weekly_at_three(clinic, allow_past=True)
    [notice] = _notices("appointment_booked")
    assert [dt.datetime.fromisoformat(s["start"]) for s in notice.context["sessions"]] == [
        at(MONDAY + dt.timedelta(weeks=w), 15) for w in (2, 3)
    ]


def test_a_group_meeting_has_no_patient_to_tell(clinic):
    services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=None,
        service_type=clinic.group,
        start=at(MONDAY, 17),
    )
    assert not _notices("appointment_booked").exists()


def test_the_notices_carry_nothing_clinical_and_link_to_the_portal_on_the_sites_address(clinic, settings):
    settings.SITE_URL = "https://clinic.example.org"
    _book(clinic)
    [notice] = _notices("appointment_booked")
    assert notice.context["portal_url"] == "https://clinic.example.org/portal/sessions/"
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    for part in (rendered.subject, rendered.text, rendered.html):
        assert clinic.individual.name not in part and clinic.individual.code not in part
    assert set(notice.context) == {"patient_first_name", "sessions", "time_zone", "portal_url"}


def test_the_booking_page_and_the_api_queue_the_same_confirmation(clinic, login):
    page = login(clinic.front_desk).post(
        reverse("scheduling:appointment_new"),
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.patient.pk,
            "service_type": clinic.individual.pk,
            "date": str(MONDAY),
            "time": "10:00",
            "room": clinic.willow.pk,
        },
    )
    api = login(clinic.front_desk, api=True).post(
        "/api/appointments/",
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.patient.pk,
            "service_type": clinic.individual.pk,
            "start": at(MONDAY, 12).isoformat(),
        },
        format="json",
    )
    assert page.status_code == 302 and api.status_code == 201
    assert _notices("appointment_booked").count() == 2


def test_the_reschedule_api_queues_the_notice(clinic, session, login):
    response = login(clinic.front_desk, api=True).post(
        f"/api/appointments/{session.pk}/reschedule/", {"start": at(MONDAY, 14).isoformat()}, format="json"
    )
    assert response.status_code == 200
    [line] = _notices("appointment_moved").get().context["sessions"]
    assert dt.datetime.fromisoformat(line["start"]) == at(MONDAY, 14)
