"""Starting, replying, reading and closing conversations: who may, what is written, and what the outbox says."""

import re

import pytest
from django.core.files.storage import default_storage

from apps.core.errors import ApplicationError, InvalidTransition, NotFound, PermissionDenied
from apps.core.models import ClinicSettings
from apps.messaging import selectors, services
from apps.messaging.models import Attachment, AttachmentKind, Message, MessageThread
from apps.notifications.models import Message as Outbox
from tests.factories import PatientFactory, TherapistFactory

from .conftest import JPEG, PDF, PNG, upload

pytestmark = pytest.mark.django_db


def _staff_reply(personas, thread, text="Behind the building."):
    return services.message_post(actor=personas.front_desk, thread=thread, text=text)


def test_a_patient_writes_to_the_clinic(clinic_thread, personas):
    assert clinic_thread.with_clinic and clinic_thread.patient == personas.patient
    message = clinic_thread.messages.get()
    assert message.from_patient and message.author == personas.patient_user and message.read_at is None


def test_an_empty_message_is_refused_and_nothing_is_written(personas):
    with pytest.raises(ApplicationError) as refused:
        services.thread_start(actor=personas.patient_user, patient=personas.patient, subject="Hello", text="   ")
    assert refused.value.status == 400
    assert not MessageThread.objects.exists()


def test_a_subject_is_needed(personas):
    with pytest.raises(ApplicationError):
        services.thread_start(actor=personas.patient_user, patient=personas.patient, subject=" ", text="Hi")


def test_a_patient_cannot_write_for_another_patient(personas):
    with pytest.raises(NotFound):
        services.thread_start(actor=personas.patient_user, patient=personas.other_patient, subject="Hi", text="Hi")


@pytest.mark.parametrize(("name", "content", "kind"), [("a.pdf", PDF, "application/pdf"), ("b.PNG", PNG, "image/png")])
def test_pdf_and_png_attachments_are_kept_with_their_kind(clinic_thread, personas, name, content, kind):
    services.message_post(
        actor=personas.patient_user, thread=clinic_thread, text="Form", attachments=[upload(name, content)]
    )
    attachment = Attachment.objects.get()
    assert attachment.kind == kind and attachment.size == len(content)
    # Stored under a random name: nothing of the sender's file name is kept.
    assert re.fullmatch(r"messaging/attachments/[0-9a-f]{32}\.(pdf|png)", attachment.file.name)


def test_a_jpeg_attachment_is_accepted(clinic_thread, personas):
    services.message_post(
        actor=personas.patient_user, thread=clinic_thread, text="Photo", attachments=[upload("me.jpeg", JPEG)]
    )
    assert Attachment.objects.get().kind == AttachmentKind.JPEG


def test_a_renamed_file_is_refused_by_its_first_bytes(clinic_thread, personas):
    with pytest.raises(ApplicationError) as refused:
        services.message_post(
            actor=personas.patient_user,
            thread=clinic_thread,
            text="Form",
            attachments=[upload("form.pdf", b"MZ\x90\x00 not really a pdf")],
        )
    assert refused.value.status == 400 and "PDF, PNG or JPEG files up to 10 MB" in refused.value.message


def test_a_file_over_the_limit_is_refused_with_the_limit(clinic_thread, personas, settings):
    settings.CLINIC_MESSAGE_ATTACHMENT_MAX_MB = 1
    big = upload("big.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(ApplicationError) as refused:
        services.message_post(actor=personas.patient_user, thread=clinic_thread, text="Big", attachments=[big])
    assert "up to 1 MB" in refused.value.message


def test_one_bad_attachment_rejects_the_whole_message(clinic_thread, personas):
    files = [upload("ok.pdf"), upload("bad.png", PDF)]
    before = set(default_storage.listdir("messaging/attachments")[1]) if default_storage.exists("messaging") else set()
    with pytest.raises(ApplicationError):
        services.message_post(actor=personas.patient_user, thread=clinic_thread, text="Two files", attachments=files)
    assert clinic_thread.messages.count() == 1 and not Attachment.objects.exists()
    after = set(default_storage.listdir("messaging/attachments")[1]) if default_storage.exists("messaging") else set()
    assert after == before  # no file stored either


def test_the_patient_is_told_once_per_unread_burst_without_the_text(clinic_thread, personas):
    _staff_reply(personas, clinic_thread, "Behind the building, secret spot.")
    _staff_reply(personas, clinic_thread, "Also on the street.")
    notices = list(Outbox.objects.filter(template="secure_message"))
    assert len(notices) == 1
    assert notices[0].to_address == personas.patient.email and notices[0].channel == "email"
    assert "secret" not in str(notices[0].context) and "/portal/messages/" in notices[0].context["portal_url"]
    services.messages_mark_read(actor=personas.patient_user, thread=clinic_thread)
    _staff_reply(personas, clinic_thread, "One more thing.")
    assert Outbox.objects.filter(template="secure_message").count() == 2


def test_the_clinic_address_is_told_once_per_burst_when_the_clinic_has_one(clinic_thread, personas):
    assert not Outbox.objects.filter(template="secure_message_staff").exists()  # no clinic address: the menu count
    ClinicSettings.objects.update_or_create(id=1, defaults={"email": "desk@clinic.test"})
    services.messages_mark_read(actor=personas.front_desk, thread=clinic_thread)
    services.message_post(actor=personas.patient_user, thread=clinic_thread, text="My private worry")
    services.message_post(actor=personas.patient_user, thread=clinic_thread, text="And another")
    notice = Outbox.objects.get(template="secure_message_staff")
    assert notice.to_address == "desk@clinic.test" and "worry" not in str(notice.context)


def test_staff_opening_marks_the_patients_messages_read(clinic_thread, personas):
    assert services.messages_mark_read(actor=personas.front_desk, thread=clinic_thread) == 1
    message = clinic_thread.messages.get()
    assert message.read_by == personas.front_desk and message.read_at is not None
    assert services.messages_mark_read(actor=personas.front_desk, thread=clinic_thread) == 0


def test_the_patient_opening_does_not_mark_their_own_messages(clinic_thread, personas):
    assert services.messages_mark_read(actor=personas.patient_user, thread=clinic_thread) == 0
    assert clinic_thread.messages.get().read_at is None


@pytest.mark.parametrize("persona", ["billing", "therapist", "other_patient_user"])
def test_people_outside_the_thread_cannot_reply(clinic_thread, personas, persona):
    with pytest.raises((NotFound, PermissionDenied)):
        services.message_post(actor=getattr(personas, persona), thread=clinic_thread, text="Hi")


def test_a_closed_thread_takes_no_replies_but_is_kept(clinic_thread, personas):
    services.thread_close(actor=personas.front_desk, thread=clinic_thread)
    with pytest.raises(InvalidTransition):
        services.message_post(actor=personas.patient_user, thread=clinic_thread, text="Still there?")
    with pytest.raises(InvalidTransition):
        services.thread_close(actor=personas.front_desk, thread=clinic_thread)
    assert Message.objects.filter(thread=clinic_thread).count() == 1


def test_the_patient_cannot_close_a_thread(clinic_thread, personas):
    with pytest.raises(PermissionDenied):
        services.thread_close(actor=personas.patient_user, thread=clinic_thread)


def test_a_patient_cannot_write_to_a_therapist_without_the_settings(personas):
    with pytest.raises(PermissionDenied):
        services.thread_start(
            actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="Hi"
        )


def test_the_clinic_switch_alone_is_not_enough(personas):
    ClinicSettings.objects.update_or_create(id=1, defaults={"patient_messages_to_therapists": True})
    with pytest.raises(PermissionDenied):
        services.thread_start(
            actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="Hi"
        )


def test_with_both_switches_a_patient_writes_to_their_treating_therapist(therapist_messages_on):
    personas = therapist_messages_on
    thread = services.thread_start(
        actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="Hi"
    )
    assert selectors.thread_get_for(user=personas.therapist, thread_id=thread.pk) == thread
    with pytest.raises(NotFound):  # the clinic inbox does not see a therapist's conversations
        selectors.thread_get_for(user=personas.front_desk, thread_id=thread.pk)
    assert Outbox.objects.get(template="secure_message_staff").to_address == personas.therapist.email


def test_only_a_treating_therapist_may_be_written_to(therapist_messages_on):
    personas = therapist_messages_on
    stranger = TherapistFactory()
    stranger.therapist_profile.accepts_patient_messages = True
    stranger.therapist_profile.save()
    assert selectors.therapists_taking_messages_from(patient=personas.patient) == [personas.therapist]
    with pytest.raises(PermissionDenied):
        services.thread_start(
            actor=personas.patient_user, patient=personas.patient, therapist=stranger, subject="Hi", text="Hi"
        )


def test_a_therapist_who_left_is_no_longer_written_to(therapist_messages_on):
    """A deactivated therapist cannot sign in to read anything: the patient is not offered them, cannot start a
    conversation with them, and a reply in an earlier conversation is refused (nothing written, no email to the
    leaver's address) with the way to write to the clinic instead."""
    personas = therapist_messages_on
    thread = services.thread_start(
        actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="Hi"
    )
    type(personas.therapist).objects.filter(pk=personas.therapist.pk).update(is_active=False)
    personas.therapist.refresh_from_db()
    Outbox.objects.all().delete()

    assert selectors.therapists_taking_messages_from(patient=personas.patient) == []
    with pytest.raises(PermissionDenied):
        services.thread_start(
            actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="x"
        )
    with pytest.raises(ApplicationError) as refused:
        services.message_post(actor=personas.patient_user, thread=thread, text="Are you there?")
    assert "write to the clinic" in refused.value.message
    assert thread.messages.count() == 1
    assert not Outbox.objects.filter(template="secure_message_staff").exists()


def test_a_reply_to_a_therapist_who_is_no_longer_a_therapist_is_refused(therapist_messages_on):
    """Moved to the front desk, they no longer see their conversations with patients: a reply would reach nobody,
    so it is refused as for a therapist who left, by the rule that lists whom a patient may write to."""
    from django.contrib.auth.models import Group

    from apps.accounts.roles import Role

    personas = therapist_messages_on
    thread = services.thread_start(
        actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="Hi"
    )
    personas.therapist.groups.set([Group.objects.get_or_create(name=Role.FRONT_DESK)[0]])
    thread.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        services.message_post(actor=personas.patient_user, thread=thread, text="Are you there?")
    assert "write to the clinic" in refused.value.message
    assert thread.messages.count() == 1


def test_a_reply_to_a_therapist_who_stopped_taking_messages_is_refused(therapist_messages_on):
    """Nobody could read it: the therapist no longer sees the conversation once they stop taking messages."""
    personas = therapist_messages_on
    thread = services.thread_start(
        actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="Hi"
    )
    personas.therapist.therapist_profile.accepts_patient_messages = False
    personas.therapist.therapist_profile.save()
    with pytest.raises(ApplicationError):
        services.message_post(actor=personas.patient_user, thread=thread, text="Hello?")
    assert thread.messages.count() == 1


def test_a_session_cancelled_in_time_offers_no_one_to_write_to(therapist_messages_on):
    """The list the portal offers and the check writing makes follow one rule: a session booked with the wrong
    therapist and cancelled makes nobody the patient's therapist, here as on the chart."""
    from apps.scheduling.services import appointment_cancel
    from tests.factories import appointment_ahead

    personas = therapist_messages_on
    other = personas.other_therapist
    other.therapist_profile.accepts_patient_messages = True
    other.therapist_profile.save()
    wrong = appointment_ahead(therapist=other, patient=personas.patient)
    assert other in selectors.therapists_taking_messages_from(patient=personas.patient)

    appointment_cancel(appointment=wrong, actor=personas.front_desk, reason="Booked with the wrong therapist")

    assert selectors.therapists_taking_messages_from(patient=personas.patient) == [personas.therapist]


def test_the_front_desk_writes_first_only_to_patients_with_a_portal_account(personas):
    thread = services.thread_start(actor=personas.front_desk, patient=personas.patient, subject="Forms", text="Please")
    assert not thread.messages.get().from_patient
    with pytest.raises(ApplicationError):
        services.thread_start(actor=personas.front_desk, patient=PatientFactory(), subject="Forms", text="Please")
    with pytest.raises(PermissionDenied):
        services.thread_start(actor=personas.billing, patient=personas.patient, subject="Bill", text="Please")
