"""A member who leaves a group takes no working video link with them: each online meeting not yet begun gets a new
one, which the members who stay are reminded or told of, and the one who left is sent nothing and shown nothing."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.notifications.delivery import messages_send
from apps.notifications.models import Message, MessageStatus
from apps.notifications.rendering import message_render
from apps.programs import selectors
from apps.programs.models import Enrollment
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.lectures import lecture_register, lecture_registration_cancel
from apps.programs.services.meetings import REMINDER_PURPOSES
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.programs.tasks import remind_meeting_members
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_cancel
from tests.factories import RoomFactory

from .factories import scheduled_program

pytestmark = pytest.mark.django_db

# Inside the email reminder's lead (48 hours) and outside the text's (2 hours) of a 6 PM meeting.
EMAIL_LEAD = dt.timedelta(hours=47)
RENEWED = ("group_meeting_link_renewed", "lecture_meeting_link_renewed")


def _links(program) -> list[str]:
    return [meeting.appointment.telehealth_url for meeting in selectors.program_meetings(program=program)]


@pytest.fixture
def group(online_group_of_three):
    """An online group of three members, one of whom takes text reminders."""
    return online_group_of_three


def test_leaving_renews_the_link_of_each_online_meeting_not_yet_begun_and_no_other(personas, group):
    program, (_texting, _emailing, leaving), enrollments = group
    meetings = [meeting.appointment for meeting in selectors.program_meetings(program=program)]
    cancelled = meetings[2]
    appointment_cancel(appointment=cancelled, actor=personas.front_desk, reason="The facilitator is away.")
    before = _links(program)
    assert all(before) and len(set(before)) == len(before)

    with time_machine.travel(meetings[0].start + dt.timedelta(minutes=10), tick=False):  # the first has begun
        enrollment_withdraw(actor=leaving.user, enrollment=enrollments[leaving])

    after = _links(program)
    assert after[0] == before[0]  # begun: whoever is in the room stays, as the meeting's record says
    assert after[2] == before[2]  # cancelled: nobody meets
    assert after[1] != before[1] and after[3] != before[3]
    assert after[1].split("/")[:-1] == before[1].split("/")[:-1]  # made the way scheduling makes them
    assert len(set(after)) == len(after)


def test_leaving_an_in_person_group_gives_its_meetings_no_link(personas, make_patients):
    program = scheduled_program(actor=personas.front_desk, room=RoomFactory(capacity=14), is_telehealth=False)
    member, leaving = make_patients(2)
    program_enroll(actor=personas.front_desk, program=program, patient=member)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=leaving)
    enrollment_withdraw(actor=personas.front_desk, enrollment=enrollment, reason="Moved away")
    assert set(_links(program)) == {""}
    assert not Message.objects.filter(purpose__in=RENEWED).exists()


def test_the_members_who_stay_are_reminded_with_the_new_link_and_the_one_who_left_is_not(personas, group):
    program, (texting, emailing, leaving), enrollments = group
    first = selectors.program_meetings(program=program).first().appointment
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        assert remind_meeting_members() == 3
        old = Appointment.objects.get(pk=first.pk).telehealth_url
        enrollment_withdraw(actor=personas.front_desk, enrollment=enrollments[leaving], reason="Moved away")
    new = Appointment.objects.get(pk=first.pk).telehealth_url
    assert new != old

    pending = Message.objects.filter(purpose__in=REMINDER_PURPOSES, status=MessageStatus.PENDING)
    assert set(pending.values_list("patient_id", flat=True)) == {texting.pk, emailing.pk}
    assert {message.context["telehealth_url"] for message in pending} == {new}
    rendered = message_render(template=pending[0].template, context=pending[0].context, channel="email")
    assert new in rendered.text and old not in rendered.text
    theirs = Message.objects.filter(patient=leaving).exclude(status=MessageStatus.CANCELLED)
    assert not theirs.filter(purpose__in=REMINDER_PURPOSES).exists()
    # Nobody had been sent the old link yet, so there is nothing to put right.
    assert not Message.objects.filter(purpose__in=RENEWED).exists()


def test_members_already_reminded_with_the_old_link_are_sent_the_new_one(personas, group):
    program, (texting, emailing, leaving), enrollments = group
    first = selectors.program_meetings(program=program).first().appointment
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        remind_meeting_members()
        Message.objects.filter(purpose__in=REMINDER_PURPOSES).update(status=MessageStatus.SENT, sent_at=clock.now())
        enrollment_withdraw(actor=leaving.user, enrollment=enrollments[leaving])
    new = Appointment.objects.get(pk=first.pk).telehealth_url

    notices = Message.objects.filter(purpose="group_meeting_link_renewed")
    assert set(notices.values_list("patient_id", "channel")) == {
        (texting.pk, "email"),
        (texting.pk, "sms"),
        (emailing.pk, "email"),
    }
    assert set(notices.values_list("subject_id", "status", "expires_at")) == {
        (str(first.pk), MessageStatus.PENDING, first.start)
    }
    email = notices.get(patient=emailing)
    rendered = message_render(template=email.template, context=email.context, channel="email")
    assert rendered.subject.startswith("New video link: 10-week TMS recovery group")
    assert new in rendered.text and "no longer works" in rendered.text
    text = notices.get(channel="sms")
    assert new in message_render(template=text.template, context=text.context, channel="sms").sms
    # The reminders already sent are not sent again.
    assert not Message.objects.filter(purpose__in=REMINDER_PURPOSES, status=MessageStatus.PENDING).exists()


def test_the_one_who_left_is_not_shown_the_meetings_in_the_portal(personas, group, login):
    program, (_texting, _emailing, leaving), enrollments = group
    client = login(leaving.user)
    old = _links(program)
    assert old[0] in client.get(f"/portal/programs/{program.pk}/").content.decode()
    url = f"/portal/programs/enrollments/{enrollments[leaving].pk}/withdraw/"
    assert client.post(url, {"confirmed": "yes"}).status_code == 302

    new = _links(program)
    assert not set(old) & set(new)
    for page in (f"/portal/programs/{program.pk}/", "/portal/sessions/"):
        body = client.get(page).content.decode()
        assert not any(link in body for link in old + new)


def test_staff_removing_a_member_renews_the_links(personas, group, login):
    program, (_texting, _emailing, leaving), enrollments = group
    before = _links(program)
    client = login(personas.front_desk)
    url = f"/programs/enrollments/{enrollments[leaving].pk}/withdraw/"
    assert client.post(url, {"reason": "Moved away", "confirmed": "yes"}).status_code == 302
    assert not set(before) & set(_links(program))


# Withdrawing from the portal, with a new link for every meeting still ahead written in one statement.
LEAVING_QUERIES = 22


@pytest.mark.parametrize("meeting_count", [2, 6])
def test_leaving_from_the_portal_takes_as_many_queries_however_many_meetings(
    personas, make_patients, login, meeting_count, django_assert_num_queries
):
    program = scheduled_program(actor=personas.front_desk, meeting_count=meeting_count)
    staying, leaving = make_patients(2)
    program_enroll(actor=personas.front_desk, program=program, patient=staying)
    enrollment = program_enroll(actor=personas.front_desk, program=program, patient=leaving)
    client = login(leaving.user)
    url = f"/portal/programs/enrollments/{enrollment.pk}/withdraw/"
    with django_assert_num_queries(LEAVING_QUERIES):
        assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).status == "withdrawn"


def test_a_registrant_who_cancels_leaves_the_others_a_new_link_they_are_told_of(personas):
    program = scheduled_program(
        actor=personas.front_desk, kind="lecture", service_type=lecture_service_type(), fee_mode="donation"
    )
    staying = lecture_register(program=program, name="Robin Visitor", email="robin@example.test", consent=True)
    leaving = lecture_register(program=program, name="Sam Visitor", email="sam@example.test", consent=True)
    first = selectors.program_meetings(program=program).first().appointment
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        assert remind_meeting_members() == 2
        Message.objects.filter(purpose__in=REMINDER_PURPOSES).update(status=MessageStatus.SENT, sent_at=clock.now())
        lecture_registration_cancel(enrollment=leaving)
    new = Appointment.objects.get(pk=first.pk).telehealth_url
    assert new != first.telehealth_url

    notice = Message.objects.get(purpose="lecture_meeting_link_renewed")
    assert notice.to_address == "robin@example.test"
    rendered = message_render(template=notice.template, context=notice.context, channel="email")
    assert "Hello Robin Visitor" in rendered.text and new in rendered.text
    assert staying.registrant.email == notice.to_address


def test_a_reminder_queued_with_the_old_link_as_a_member_left_is_dropped_and_given_again_with_the_new(personas, group):
    """Beat reads the meeting and queues a reminder with its link while a member leaves: the leaving's own reminder
    of the new link finds beat's row under the same key and leaves it. Sending checks the link again, and the next
    run of beat reminds with the new one."""
    program, (_texting, emailing, leaving), enrollments = group
    first = selectors.program_meetings(program=program).first().appointment
    with time_machine.travel(first.start - EMAIL_LEAD, tick=False):
        enrollment_withdraw(actor=leaving.user, enrollment=enrollments[leaving])
        stale = Message.objects.get(purpose="group_reminder_email", patient=emailing)
        new = stale.context["telehealth_url"]
        stale.context["telehealth_url"] = first.telehealth_url  # as beat wrote it
        stale.save(update_fields=["context"])
        assert messages_send(message_ids=[stale.pk]) == {"cancelled": 1}
        assert remind_meeting_members() == 1
    again = Message.objects.get(pk=stale.pk)
    assert (again.status, again.context["telehealth_url"]) == (MessageStatus.PENDING, new)
    assert new == Appointment.objects.get(pk=first.pk).telehealth_url != first.telehealth_url
