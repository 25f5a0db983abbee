"""The front desk hands a patient's conversation with the clinic to the patient's therapist, when that therapist
takes messages: who may, what each side then sees, what the therapist is told (never the words) and what is
recorded. Refusals say why in plain words and change nothing."""

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, transaction

from apps.audit.models import AccessLog
from apps.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from apps.core.models import ClinicSettings
from apps.core.settings_kept import clinic_settings_forget
from apps.messaging import selectors, services
from apps.messaging.models import MessageThread
from apps.notifications.delivery import _render
from apps.notifications.models import Message as Outbox
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db

WORDS = "My jaw locks up before every family dinner"
SUBJECT = "Jaw pain and my mother"


@pytest.fixture
def desk_thread(therapist_messages_on):
    """The patient's conversation with the front desk, its first message unread, their therapist taking messages."""
    personas = therapist_messages_on
    return services.thread_start(actor=personas.patient_user, patient=personas.patient, subject=SUBJECT, text=WORDS)


def _nothing_handed(thread) -> None:
    thread = MessageThread.objects.get(pk=thread.pk)
    assert thread.therapist_id is None and thread.handed_over_at is None and thread.handed_over_by_id is None
    assert not Outbox.objects.filter(template="secure_message_handed_over").exists()
    assert not AccessLog.objects.filter(action="message_thread_hand_over").exists()


# --- the service --------------------------------------------------------------------------------------------------


def test_the_front_desk_hands_the_conversation_to_the_patients_therapist(desk_thread, personas):
    thread = services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)

    thread.refresh_from_db()
    assert thread.therapist == personas.therapist and thread.handed_over_by == personas.front_desk
    assert thread.handed_over and thread.is_open
    assert not selectors.inbox(user=personas.front_desk).filter(pk=thread.pk).exists()
    mine = selectors.inbox(user=personas.therapist).get(pk=thread.pk)
    assert mine.unread == 1  # the patient's message waits for the therapist, unopened


def test_the_therapist_answers_and_the_patients_replies_reach_them(desk_thread, personas):
    services.message_post(actor=personas.front_desk, thread=desk_thread, text="Your therapist will write to you.")
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)
    thread = MessageThread.objects.get(pk=desk_thread.pk)

    services.message_post(actor=personas.therapist, thread=thread, text="Let us talk about it on Thursday.")
    services.messages_mark_read(actor=personas.therapist, thread=thread)
    services.message_post(actor=personas.patient_user, thread=thread, text="Thank you.")

    assert selectors.inbox(user=personas.therapist, unread_only=True).get(pk=thread.pk).unread == 1
    assert Outbox.objects.filter(template="secure_message_staff", to_address=personas.therapist.email).count() == 1


def test_the_therapist_is_emailed_that_it_waits_without_its_words(desk_thread, personas):
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)

    notice = Outbox.objects.get(template="secure_message_handed_over")
    assert notice.to_address == personas.therapist.email and notice.recipient_user == personas.therapist
    rendered = _render(notice).rendered
    said = " ".join([str(notice.context), rendered.subject, rendered.text, rendered.html])
    assert f"/inbox/{desk_thread.pk}/" in rendered.text and "handed you" in rendered.text
    for private in (WORDS, "jaw", "Jaw", "mother", personas.patient.display_name, personas.patient.legal_last_name):
        assert private not in said, private


def test_the_hand_over_is_in_the_access_log_without_the_words(desk_thread, personas):
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)

    log = AccessLog.objects.get(action="message_thread_hand_over")
    assert (log.actor, log.patient_id, log.subject_id, log.allowed) == (
        personas.front_desk,
        personas.patient.pk,
        str(desk_thread.pk),
        True,
    )
    assert log.detail == {"to_therapist": personas.therapist.pk}


def _no_therapist(personas):
    Patient.objects.filter(pk=personas.patient.pk).update(primary_therapist=None)
    return Conflict, "Pat Ient has no therapist on record"


def _therapist_does_not_take_messages(personas):
    personas.therapist.therapist_profile.accepts_patient_messages = False
    personas.therapist.therapist_profile.save()
    return Conflict, "Theo Rapist does not take patients' messages here"


def _clinic_does_not_pass_messages_to_therapists(personas):
    ClinicSettings.objects.filter(id=1).update(patient_messages_to_therapists=False)
    clinic_settings_forget()  # a queryset's update() sends no signal
    return Conflict, "Theo Rapist does not take patients' messages here"


def _closed(personas):
    thread = MessageThread.objects.get()
    services.thread_close(actor=personas.front_desk, thread=thread)
    return InvalidTransition, "This conversation is closed"


REFUSALS = [_no_therapist, _therapist_does_not_take_messages, _clinic_does_not_pass_messages_to_therapists, _closed]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.__name__.strip("_") for r in REFUSALS])
def test_a_refused_hand_over_says_why_and_changes_nothing(desk_thread, personas, refusal):
    error, words = refusal(personas)

    with pytest.raises(error) as refused:
        services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)

    assert refused.value.message.startswith(words)
    assert (
        services.thread_hand_over_refusal(thread=MessageThread.objects.get(pk=desk_thread.pk)) == refused.value.message
    )
    _nothing_handed(desk_thread)


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("therapist", NotFound),  # the patient's own therapist: not theirs until handed to them
        ("other_therapist", NotFound),
        ("billing", NotFound),
        ("patient_user", PermissionDenied),
        ("other_patient_user", NotFound),
    ],
)
def test_only_the_front_desk_and_admins_hand_over(desk_thread, personas, persona, error):
    with pytest.raises(error):
        services.thread_hand_over(actor=getattr(personas, persona), thread=desk_thread)
    _nothing_handed(desk_thread)


def test_an_admin_hands_over_too(desk_thread, personas):
    assert services.thread_hand_over(actor=personas.admin, thread=desk_thread).therapist == personas.therapist


def test_a_conversation_is_handed_over_once(desk_thread, personas):
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)
    with pytest.raises(NotFound):  # it has left the clinic's inbox
        services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)
    assert Outbox.objects.filter(template="secure_message_handed_over").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"therapist_id": None},
        {"handed_over_at": None, "handed_over_by_id": None, "therapist_id": None},
        {"handed_over_by_id": "admin"},
    ],
    ids=["back_to_the_clinic", "hand_over_undone", "another_hander"],
)
def test_the_database_keeps_who_has_a_handed_conversation(desk_thread, personas, change):
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)
    values = {k: personas.admin.pk if v == "admin" else v for k, v in change.items()}
    with pytest.raises((IntegrityError, InternalError, ProgrammingError)), transaction.atomic():
        MessageThread.objects.filter(pk=desk_thread.pk).update(**values)


def test_the_database_refuses_moving_a_therapists_conversation_to_another(therapist_messages_on):
    personas = therapist_messages_on
    thread = services.thread_start(
        actor=personas.patient_user, patient=personas.patient, therapist=personas.therapist, subject="Hi", text="x"
    )
    with pytest.raises((IntegrityError, InternalError, ProgrammingError)), transaction.atomic():
        MessageThread.objects.filter(pk=thread.pk).update(therapist=personas.other_therapist)


# --- the pages ----------------------------------------------------------------------------------------------------


def test_the_thread_page_offers_the_hand_over_and_asks_first(desk_thread, personas, login):
    client = login(personas.front_desk)
    page = client.get(f"/inbox/{desk_thread.pk}/").content.decode()
    assert f'href="/inbox/{desk_thread.pk}/hand-over/"' in page

    confirm = client.get(f"/inbox/{desk_thread.pk}/hand-over/")
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Hand to Theo Rapist" in body and "cannot be handed back" in body
    _nothing_handed(desk_thread)

    response = client.post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert "Conversation handed to Theo Rapist" in client.get("/inbox/").content.decode()
    assert MessageThread.objects.get(pk=desk_thread.pk).therapist == personas.therapist
    assert client.get(f"/inbox/{desk_thread.pk}/").status_code == 404  # no longer the clinic's


def test_a_post_without_the_confirmation_only_asks(desk_thread, personas, login):
    response = login(personas.front_desk).post(f"/inbox/{desk_thread.pk}/hand-over/", {})
    assert response.status_code == 200 and "Hand to Theo Rapist" in response.content.decode()
    _nothing_handed(desk_thread)


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.__name__.strip("_") for r in REFUSALS])
def test_the_page_says_why_a_conversation_cannot_be_handed_over(desk_thread, personas, login, refusal):
    error, words = refusal(personas)
    client = login(personas.front_desk)

    asked = client.get(f"/inbox/{desk_thread.pk}/hand-over/")
    posted = client.post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"})

    for response in (asked, posted):
        body = response.content.decode()
        assert response.status_code == 409 and words.replace("'", "&#x27;") in body
        assert 'name="confirmed"' not in body
    _nothing_handed(desk_thread)


def test_the_therapist_finds_it_in_their_inbox_and_reads_it(desk_thread, personas, login):
    login(personas.front_desk).post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"})
    client = login(personas.therapist)

    listing = client.get("/inbox/").content.decode()
    assert SUBJECT in listing and "1 unread" in listing
    page = client.get(f"/inbox/{desk_thread.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and WORDS in body and "Handed from the front desk to Theo Rapist" in body
    assert f"/inbox/{desk_thread.pk}/hand-over/" not in body
    assert client.get(f"/inbox/{desk_thread.pk}/hand-over/").status_code == 403


def test_a_conversation_the_desk_read_first_is_new_to_the_therapist_until_they_open_it(desk_thread, personas, login):
    # The usual way: the front desk reads the message, then sees it is for the therapist.
    services.messages_mark_read(actor=personas.front_desk, thread=desk_thread)
    login(personas.front_desk).post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"})
    client = login(personas.therapist)

    listing = client.get("/inbox/?unread=1").content.decode()
    assert SUBJECT in listing and "New: handed to you by the front desk" in listing and "1 unread</span>" not in listing
    assert '<a href="/inbox/">Inbox <span class="nav-badge">1<' in client.get("/patients/").content.decode()

    assert client.get(f"/inbox/{desk_thread.pk}/").status_code == 200

    assert MessageThread.objects.get(pk=desk_thread.pk).handed_over_opened_at is not None
    assert "New: handed to you" not in client.get("/inbox/").content.decode()
    assert '<a href="/inbox/">Inbox</a>' in client.get("/patients/").content.decode()


def test_only_the_therapist_opening_it_makes_a_handed_conversation_seen(desk_thread, personas):
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)
    thread = MessageThread.objects.get(pk=desk_thread.pk)

    services.messages_mark_read(actor=personas.patient_user, thread=thread)

    assert MessageThread.objects.get(pk=thread.pk).handed_over_opened_at is None
    assert selectors.inbox(user=personas.therapist, unread_only=True).filter(pk=thread.pk).exists()


def test_a_therapist_who_does_not_treat_the_patient_cannot_see_it(desk_thread, personas, login):
    personas.other_therapist.therapist_profile.accepts_patient_messages = True
    personas.other_therapist.therapist_profile.save()
    login(personas.front_desk).post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"})
    client = login(personas.other_therapist)

    assert client.get(f"/inbox/{desk_thread.pk}/").status_code == 404
    assert client.get(f"/inbox/{desk_thread.pk}/hand-over/").status_code == 404
    assert SUBJECT not in client.get("/inbox/").content.decode()


@pytest.mark.parametrize(("persona", "status"), [("billing", 403), ("patient_user", 403), ("therapist", 404)])
def test_others_cannot_open_the_hand_over_page(desk_thread, personas, login, persona, status):
    client = login(getattr(personas, persona))
    assert client.get(f"/inbox/{desk_thread.pk}/hand-over/").status_code == status
    assert client.post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"}).status_code == status
    _nothing_handed(desk_thread)


def test_the_patients_portal_says_who_now_has_the_conversation(desk_thread, personas, login):
    services.message_post(actor=personas.front_desk, thread=desk_thread, text="Passing this to your therapist.")
    services.thread_hand_over(actor=personas.front_desk, thread=desk_thread)

    body = login(personas.patient_user).get(f"/portal/messages/{desk_thread.pk}/").content.decode()

    assert "With Theo Rapist, your therapist" in body
    assert "The clinic passed this conversation to Theo Rapist, your therapist" in body
    # The front desk's earlier reply is still the clinic's, not the therapist's.
    assert ", the clinic</strong>" in body and ", your therapist</strong>" not in body


# --- the API ------------------------------------------------------------------------------------------------------


def test_the_api_hands_over_with_the_same_service(desk_thread, personas, login):
    response = login(personas.front_desk, api=True).post(f"/api/message-threads/{desk_thread.pk}/hand-over/")

    assert response.status_code == 200
    body = response.json()
    assert (body["therapist"], body["with_clinic"], body["unread"]) == (personas.therapist.pk, False, 1)
    assert body["handed_over_at"] is not None
    assert Outbox.objects.filter(template="secure_message_handed_over").count() == 1
    mine = login(personas.patient_user, api=True).get("/api/message-threads/").json()
    rows = mine["results"] if isinstance(mine, dict) else mine
    assert [row["handed_over_at"] is not None for row in rows] == [True]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.__name__.strip("_") for r in REFUSALS])
def test_the_api_and_the_page_refuse_with_the_same_words(desk_thread, personas, login, refusal):
    error, words = refusal(personas)
    page = login(personas.front_desk).post(f"/inbox/{desk_thread.pk}/hand-over/", {"confirmed": "yes"})
    api = login(personas.front_desk, api=True).post(f"/api/message-threads/{desk_thread.pk}/hand-over/")

    assert api.status_code == page.status_code == 409
    message = api.json()["error"]["message"]
    assert message.startswith(words) and message.replace("'", "&#x27;") in page.content.decode()
    _nothing_handed(desk_thread)


@pytest.mark.parametrize(("persona", "status"), [("therapist", 404), ("billing", 403), ("patient_user", 403)])
def test_the_api_refuses_others(desk_thread, personas, login, persona, status):
    response = login(getattr(personas, persona), api=True).post(f"/api/message-threads/{desk_thread.pk}/hand-over/")
    assert response.status_code == status
    assert personas.patient.display_name not in response.content.decode()
    _nothing_handed(desk_thread)
