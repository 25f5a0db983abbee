"""A group meeting cancelled or moved takes its reminders back; a cancellation or a move is told to its members; a
member who leaves is reminded of nothing more; and a reminder queued as its meeting changed is dropped when it falls
due."""

import datetime as dt

import pytest
import time_machine
from django.utils import dateformat, timezone

from apps.notifications.delivery import messages_send
from apps.notifications.models import Message, MessageStatus
from apps.notifications.rendering import message_render
from apps.programs import selectors
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.lectures import lecture_register
from apps.programs.services.meetings import REMINDER_PURPOSES
from apps.programs.services.seats import enrollment_withdraw
from apps.programs.tasks import remind_meeting_members
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_cancel, appointment_reschedule

from .factories import scheduled_program

pytestmark = pytest.mark.django_db

# The email reminder is due (48 hours ahead), the text not yet (2 hours): a meeting at 6 PM, so 7 PM two days before,
# outside quiet hours, and outside the late-cancellation window.
EMAIL_LEAD = dt.timedelta(hours=47)


def _reminders():
    return Message.objects.filter(purpose__in=REMINDER_PURPOSES)


@pytest.fixture
def group(personas, online_group_of_three):
    """A group with two members, one of whom takes text reminders, and one who left; its first meeting."""
    program, (texting, emailing, leaving), enrollments = online_group_of_three
    enrollment_withdraw(actor=personas.front_desk, enrollment=enrollments[leaving], reason="Moved away")
    meeting = selectors.program_meetings(program=program).first()
    return program, meeting.appointment, texting, emailing, enrollments


def test_cancelling_a_meeting_withdraws_its_reminders_and_tells_its_members(personas, group):
    _program, first, texting, emailing, _ = group
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        assert remind_meeting_members() == 2
        assert set(_reminders().values_list("status", "expires_at")) == {(MessageStatus.PENDING, first.start)}
        appointment_cancel(appointment=first, actor=personas.front_desk, reason="The facilitator is unwell.")

    assert set(_reminders().values_list("status", flat=True)) == {MessageStatus.CANCELLED}
    notices = Message.objects.filter(purpose="group_meeting_cancelled")
    assert set(notices.values_list("patient_id", "channel")) == {
        (texting.pk, "email"),
        (emailing.pk, "email"),
        (texting.pk, "sms"),
    }
    assert set(notices.values_list("status", "expires_at")) == {(MessageStatus.PENDING, first.start)}
    text = notices.get(channel="sms")
    words = message_render(template=text.template, context=text.context, channel="sms").sms
    assert "group meeting" in words and "is cancelled" in words
    assert "unwell" not in words and _program.title not in words
    email = notices.get(patient=emailing, channel="email")
    rendered = message_render(template=email.template, context=email.context, channel="email")
    assert rendered.subject.startswith("Cancelled: 10-week TMS recovery group")
    assert "Meeting 1 of 10-week TMS recovery group is cancelled" in rendered.text
    assert "unwell" not in rendered.text


def test_moving_a_meeting_withdraws_the_reminders_of_its_old_time(personas, group):
    _program, first, _texting, _emailing, _ = group
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        remind_meeting_members()
        old = list(_reminders())
        [moved] = appointment_reschedule(
            appointment=first, actor=personas.front_desk, start=first.start + dt.timedelta(hours=1)
        )
        assert {m.status for m in _reminders().filter(pk__in=[m.pk for m in old])} == {MessageStatus.CANCELLED}
        assert not Message.objects.filter(purpose="group_meeting_cancelled").exists()
        assert remind_meeting_members() == 2  # the new time is reminded afresh
    fresh = _reminders().filter(status=MessageStatus.PENDING)
    assert {m.context["start"] for m in fresh} == {moved.start.isoformat()}


def test_a_member_who_withdraws_is_not_sent_the_reminders_queued_for_them(personas, group):
    program, first, texting, emailing, enrollments = group
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        remind_meeting_members()
        enrollment_withdraw(actor=personas.front_desk, enrollment=enrollments[emailing], reason="Schedule changed")
    statuses = dict(_reminders().values_list("patient_id", "status"))
    assert statuses == {emailing.pk: MessageStatus.CANCELLED, texting.pk: MessageStatus.PENDING}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"status": "cancelled"}, "The session is no longer booked."),
        ({"start_shift": dt.timedelta(hours=1)}, "The session moved after this reminder was queued."),
        (
            {"telehealth_url": "https://video.example.test/room/renewed"},
            "The session's video link changed after this reminder was queued.",
        ),
    ],
)
def test_a_reminder_whose_meeting_changed_as_it_was_queued_is_not_sent(personas, group, change, why):
    """Beat reads the meeting, the meeting is cancelled or moved (or given a new link as a member leaves) and commits,
    then beat queues its reminders: the change found nothing to withdraw, so sending checks the meeting again."""
    _program, first, _texting, _emailing, _ = group
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        remind_meeting_members()
        if "start_shift" not in change:
            Appointment.objects.filter(pk=first.pk).update(**change)
        else:
            shift = change["start_shift"]
            Appointment.objects.filter(pk=first.pk).update(start=first.start + shift, end=first.end + shift)
        reminders = list(_reminders())
        assert messages_send(message_ids=[m.pk for m in reminders]) == {"cancelled": 2}
    assert set(_reminders().values_list("status", "last_error")) == {(MessageStatus.CANCELLED, why)}


def test_a_lecture_registrant_is_told_of_a_cancelled_lecture_and_not_reminded_of_it(personas):
    program = scheduled_program(
        actor=personas.front_desk, kind="lecture", service_type=lecture_service_type(), fee_mode="donation"
    )
    enrollment = lecture_register(program=program, name="Robin Visitor", email="robin@example.test", consent=True)
    first = selectors.program_meetings(program=program).first().appointment
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        assert remind_meeting_members() == 1
        appointment_cancel(appointment=first, actor=personas.front_desk, reason="Speaker ill")
    [reminder] = _reminders()
    assert (reminder.purpose, reminder.status) == ("lecture_meeting_reminder", MessageStatus.CANCELLED)
    notice = Message.objects.get(purpose="lecture_meeting_cancelled")
    assert (notice.to_address, notice.status, notice.patient) == ("robin@example.test", MessageStatus.PENDING, None)
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    assert "Hello Robin Visitor" in rendered.text and "is cancelled" in rendered.text
    assert notice.context["manage_url"] and str(enrollment.pk) in notice.dedupe_key


def test_a_members_queued_meeting_reminders_follow_their_chart(personas, group):
    """Meeting reminders are queued two days ahead: a member who then turns email reminders off is not emailed one,
    and one who moves to another zone or changes address gets it at their new address and on their new clock."""
    from apps.patients.services import patient_reminder_preferences_set, patient_update

    _program, first, texting, emailing, _ = group
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        remind_meeting_members()
        patient_reminder_preferences_set(
            actor=personas.front_desk, patient=emailing, email=False, sms=False, sms_consent=False
        )
        patient_update(
            actor=personas.front_desk, patient=texting, email="new-address@example.com", time_zone="America/Los_Angeles"
        )
    assert not _reminders().filter(patient=emailing, status=MessageStatus.PENDING).exists()
    [email] = _reminders().filter(patient=texting, channel="email", status=MessageStatus.PENDING)
    assert email.to_address == "new-address@example.com"
    assert email.context["patient_time_zone"] == "America/Los_Angeles"
    assert "your time" in message_render(template=email.template, context=email.context, channel="email").text


# The facilitator works evenings on the meeting's weekday only: a move to another day says why.
MOVE = "The group meets a day later this week."


def _moved_notices():
    return Message.objects.filter(purpose="group_meeting_moved")


def test_moving_a_meeting_tells_each_member_its_old_and_new_time(personas, group):
    _program, first, texting, emailing, _ = group
    was = first.start
    [moved] = appointment_reschedule(
        appointment=first, actor=personas.front_desk, start=was + dt.timedelta(days=1), override_reason=MOVE
    )

    notices = _moved_notices()
    assert set(notices.values_list("patient_id", "channel")) == {
        (texting.pk, "email"),
        (emailing.pk, "email"),
        (texting.pk, "sms"),
    }
    assert set(notices.values_list("status", "expires_at")) == {(MessageStatus.PENDING, moved.start)}
    assert {(m.context["start"], m.context["previous_start"]) for m in notices} == {
        (moved.start.isoformat(), was.isoformat())
    }
    email = notices.get(patient=emailing, channel="email")
    rendered = message_render(template=email.template, context=email.context, channel="email")
    assert rendered.subject.startswith("Moved: 10-week TMS recovery group")
    assert "Meeting 1 of 10-week TMS recovery group has moved" in rendered.text
    assert "(was " in rendered.text
    text = notices.get(channel="sms")
    words = message_render(template=text.template, context=text.context, channel="sms").sms
    assert "group meeting" in words and "has moved" in words and "(was " in words
    assert _program.title not in words


def test_each_move_of_a_meeting_is_told_once(personas, group):
    _program, first, _texting, emailing, _ = group
    [moved] = appointment_reschedule(
        appointment=first, actor=personas.front_desk, start=first.start + dt.timedelta(days=1), override_reason=MOVE
    )
    appointment_reschedule(
        appointment=moved, actor=personas.front_desk, start=moved.start + dt.timedelta(hours=1), override_reason=MOVE
    )
    emails = _moved_notices().filter(patient=emailing, channel="email")
    assert emails.count() == 2
    assert len(set(emails.values_list("dedupe_key", flat=True))) == 2


def test_a_meeting_moved_to_another_office_is_told_its_old_time_on_its_old_offices_clock(personas, group):
    from apps.scheduling.models import Location
    from tests.places import pacific_office, pacific_room

    _program, first, _texting, emailing, _ = group
    old_local = timezone.localtime(first.start, Location.main().zone)
    office = pacific_office()
    new_start = dt.datetime.combine(old_local.date() + dt.timedelta(days=1), old_local.time()).replace(
        tzinfo=office.zone
    )
    appointment_reschedule(
        appointment=first,
        actor=personas.front_desk,
        start=new_start,
        room=pacific_room(office),
        is_telehealth=False,
        override_reason="Visiting the Pasadena office",
    )
    email = _moved_notices().get(patient=emailing, channel="email")
    assert email.context["previous_time_zone"] == Location.main().zone.key
    assert email.context["time_zone"] == "America/Los_Angeles"
    rendered = message_render(template=email.template, context=email.context, channel="email")
    was_at = dateformat.format(old_local, "g:i A")
    shifted = dateformat.format(timezone.localtime(first.start, office.zone), "g:i A")
    assert f"at {was_at}" in rendered.text and f"at {shifted}" not in rendered.text
    assert "Pasadena office, Sequoia" in rendered.text


def test_a_new_facilitator_alone_is_not_a_move_to_tell(personas, group):
    from .factories import facilitator_with_evening_hours

    _program, first, _texting, _emailing, _ = group
    other = facilitator_with_evening_hours(timezone.localtime(first.start, first.zone).weekday())
    appointment_reschedule(
        appointment=first, actor=personas.front_desk, start=first.start, therapist=other, override_reason=MOVE
    )
    assert not _moved_notices().exists()


def test_a_lecture_registrant_is_told_of_a_moved_lecture(personas):
    program = scheduled_program(
        actor=personas.front_desk, kind="lecture", service_type=lecture_service_type(), fee_mode="donation"
    )
    lecture_register(program=program, name="Robin Visitor", email="robin@example.test", consent=True)
    first = selectors.program_meetings(program=program).first().appointment
    appointment_reschedule(
        appointment=first, actor=personas.front_desk, start=first.start + dt.timedelta(days=1), override_reason=MOVE
    )
    notice = Message.objects.get(purpose="lecture_meeting_moved")
    assert (notice.to_address, notice.status, notice.patient) == ("robin@example.test", MessageStatus.PENDING, None)
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    assert "Hello Robin Visitor" in rendered.text and "has moved" in rendered.text and "(was " in rendered.text
