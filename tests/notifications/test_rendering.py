"""What a reminder says: when in clinic time, with whom, where, and the links; no clinical detail."""

import datetime as dt
from pathlib import Path

import pytest

from apps.core import clock
from apps.core.request_memo import memo_scope
from apps.notifications.rendering import message_render
from apps.scheduling.reminders import appointment_reminders_schedule

pytestmark = pytest.mark.django_db


def _reminder_context(appointment):
    [message] = appointment_reminders_schedule(appointment=appointment)
    return message.context


def test_the_email_reminder_says_when_with_whom_and_where(appointment):
    appointment.start = clock.local_datetime(dt.date(2031, 3, 4), dt.time(15, 30))
    appointment.end = appointment.start + dt.timedelta(minutes=45)
    appointment.save()
    context = _reminder_context(appointment)
    rendered = message_render(template="appointment_reminder", context=context, channel="email")
    assert rendered.subject == "Reminder: your session on Tuesday, March 4 at 3:30 PM New York time"
    for part in (rendered.text, rendered.html):
        assert "Tuesday, March 4, 2031 at 3:30 PM New York time" in part
        assert "Theo" in part
        assert "Room 2" in part
        assert context["confirm_url"] in part
        assert context["cancel_url"] in part
        assert "Harbor Mind-Body Clinic" in part


def test_a_video_session_reminder_carries_its_link(appointment):
    appointment.is_telehealth = True
    appointment.room = None
    appointment.telehealth_url = "https://video.example/room/abc"
    appointment.save()
    rendered = message_render(template="appointment_reminder", context=_reminder_context(appointment), channel="email")
    assert "Video session: https://video.example/room/abc" in rendered.text


def test_reminders_carry_no_clinical_detail(appointment):
    context = _reminder_context(appointment)
    rendered = message_render(template="appointment_reminder", context=context, channel="email")
    sms = message_render(template="appointment_reminder", context=context, channel="sms").sms
    service = appointment.service_type
    for part in (rendered.subject, rendered.text, rendered.html, sms):
        assert service.name not in part
        assert service.code not in part
        assert "psychotherapy" not in part.lower()
    assert set(context) == {
        "appointment_id",
        "start",
        "end",
        "patient_first_name",
        "therapist_first_name",
        "is_telehealth",
        "telehealth_url",
        "room_name",
        "time_zone",
        "location_name",
        "location_address",
        "confirm_url",
        "cancel_url",
    }


def test_the_text_reminder_is_short_and_explains_c_and_stop(appointment):
    sms = message_render(template="appointment_reminder", context=_reminder_context(appointment), channel="sms").sms
    assert "Reply C to confirm" in sms
    assert "Reply STOP" in sms
    assert len(sms) <= 320  # two SMS segments at most
    assert "\n" not in sms


def test_plain_text_is_not_html_escaped(appointment):
    appointment.patient.preferred_name = "Seán O'Brien"
    context = _reminder_context(appointment)
    rendered = message_render(template="appointment_reminder", context=context, channel="email")
    assert "Hello Seán O'Brien," in rendered.text
    assert "O&#x27;Brien" in rendered.html


MESSAGES_DIR = Path(__file__).resolve().parents[2] / "templates" / "notifications" / "messages"
MESSAGE_TEMPLATES = sorted({p.name.split(".")[0] for p in MESSAGES_DIR.iterdir() if not p.name.startswith("_")})


@pytest.mark.parametrize("template", MESSAGE_TEMPLATES)
def test_every_message_template_follows_the_convention_and_renders(clinic, template):
    """Email needs a subject and a text body; each part renders with only `clinic` in its context."""
    folder = MESSAGES_DIR
    has_email = (folder / f"{template}.subject.txt").exists()
    has_sms = (folder / f"{template}.sms.txt").exists()
    assert has_email or has_sms
    if has_email:
        assert (folder / f"{template}.txt").exists()
        rendered = message_render(template=template, context={}, channel="email")
        assert rendered.subject and "\n" not in rendered.subject
    if has_sms:
        assert message_render(template=template, context={}, channel="sms").sms


@pytest.mark.parametrize("template", ["seat_offer", "slot_offer"])
def test_an_offers_deadline_is_told_in_the_clinics_named_zone_and_the_readers(template):
    """A patient in Los Angeles reads the hold's end in their own time too: "2:00 PM" alone is 11:00 AM there, and
    an answer after it comes too late."""
    context = {
        "patient_first_name": "Pat",
        "program_title": "TMS recovery group",
        "weekday": "Friday",
        "start_time": "10:00 AM",
        "deadline": "2026-03-13T18:00:00+00:00",  # 2:00 PM in New York
        "accept_url": "https://clinic.test/a",
        "decline_url": "https://clinic.test/d",
        "program_url": "https://clinic.test/p",
        "patient_time_zone": "America/Los_Angeles",
    }
    rendered = message_render(template=template, context=context, channel="sms")
    assert "Fri Mar 13 at 2:00 PM New York time (11:00 AM your time)" in rendered.sms
    email = message_render(template=template, context=context, channel="email")
    assert "Friday, March 13, 2026 at 2:00 PM New York time (11:00 AM your time)" in email.text
    assert "2:00 PM New York time (11:00 AM your time)" in email.subject


def test_each_message_of_a_batch_names_its_own_sessions_time(appointment):
    """A send task's batch works out each session time once (`memo_scope`): messages naming another time, another
    location's clock or a patient's own clock still say their own."""
    context = _reminder_context(appointment)
    start = clock.local_datetime(dt.date(2031, 3, 4), dt.time(15, 30))
    at = {**context, "start": start.isoformat(), "time_zone": "America/New_York", "patient_time_zone": ""}
    later = {**at, "start": (start + dt.timedelta(hours=1)).isoformat()}
    west = {**at, "time_zone": "America/Los_Angeles"}
    traveller = {**at, "patient_time_zone": "America/Los_Angeles"}
    with memo_scope():
        texts = [
            message_render(template="appointment_reminder", context=c, channel="email").text
            for c in (at, later, west, at, traveller)
        ]
    assert "Tuesday, March 4, 2031 at 3:30 PM New York time\n" in texts[0]
    assert "Tuesday, March 4, 2031 at 4:30 PM New York time\n" in texts[1]
    assert "Tuesday, March 4, 2031 at 12:30 PM Los Angeles time\n" in texts[2]
    assert texts[3] == texts[0]
    assert "Tuesday, March 4, 2031 at 3:30 PM New York time (12:30 PM your time)\n" in texts[4]
