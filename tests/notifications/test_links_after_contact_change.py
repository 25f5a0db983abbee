"""A reminder's confirm and cancel links act for the patient without a sign-in, so they stop working once the email or
mobile number they were sent to is no longer the patient's: whoever reads that address now (a shared inbox, a
recycled number) cannot confirm or cancel the patient's sessions. The reminders planned again with the new details
carry links that work, and a change of anything else leaves every link working."""

import datetime as dt
import re

import pytest
import time_machine

from apps.core import clock
from apps.notifications.links import appointment_link_url
from apps.notifications.models import AppointmentConfirmation, Message, MessageStatus
from apps.notifications.sms_inbound import sms_inbound_handle
from apps.patients.models import DEMOGRAPHIC_FIELDS, Patient
from apps.patients.rules import LINK_SENT_TO_OLD_CONTACT
from apps.patients.services import patient_reminder_preferences_set, patient_update
from apps.portal.services import CONTACT_FIELDS
from apps.scheduling.reminders import appointment_reminders_schedule

pytestmark = pytest.mark.django_db

NEW_EMAIL = "pat.elsewhere@example.test"
NEW_PHONE = "+16175550199"


def _path(url: str) -> str:
    return url.split("localhost:8000", 1)[-1]


def _links(appointment) -> dict[str, str]:
    return {
        action: _path(appointment_link_url(appointment=appointment, action=action)) for action in ("confirm", "cancel")
    }


def _a_minute_later():
    """The clock a minute on: a change made in the same second a link was signed could not be told apart from one
    made just after it (signing times are whole seconds)."""
    return time_machine.travel(clock.now() + dt.timedelta(minutes=1))


def _refused(client, links: dict[str, str]) -> None:
    for path in links.values():
        for answer in (client.get(path), client.post(path)):
            assert answer.status_code == 404
            assert LINK_SENT_TO_OLD_CONTACT in answer.content.decode()


def _untouched(appointment) -> None:
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not AppointmentConfirmation.objects.filter(appointment=appointment).exists()


def _chart_form(patient, **changes) -> dict:
    data = {field: getattr(patient, field) for field in DEMOGRAPHIC_FIELDS}
    data["primary_therapist"] = patient.primary_therapist_id or ""
    data["date_of_birth"] = patient.date_of_birth.isoformat()
    return {**{field: value for field, value in data.items() if value not in (None, False)}, **changes}


def _contact_form(patient, **changes) -> dict:
    return {**{field: getattr(patient, field) for field in CONTACT_FIELDS}, **changes}


def test_a_reminders_links_work_while_the_address_is_the_patients(client, appointment):
    links = _links(appointment)
    with _a_minute_later():
        assert client.get(links["confirm"]).status_code == 200
        assert client.post(links["confirm"]).status_code == 200
        assert client.post(links["cancel"]).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_after_the_front_desk_changes_the_email_the_old_links_are_refused(client, login, personas, appointment):
    links = _links(appointment)
    desk = login(personas.front_desk)
    with _a_minute_later():
        saved = desk.post(f"/patients/{personas.patient.pk}/edit/", _chart_form(personas.patient, email=NEW_EMAIL))
        assert saved.status_code == 302
        _refused(client, links)
    _untouched(appointment)


def test_after_the_patient_changes_their_email_in_the_portal_the_old_links_are_refused(
    client, login, personas, appointment
):
    links = _links(appointment)
    portal = login(personas.patient_user)
    with _a_minute_later():
        saved = portal.post("/portal/settings/contact/", _contact_form(personas.patient, email=NEW_EMAIL))
        assert saved.status_code == 302
        _refused(client, links)
        # Signed in as themselves, the patient is pointed to the portal too; the link still does nothing.
        _refused(portal, links)
    _untouched(appointment)


def test_after_a_new_mobile_number_the_cancel_link_texted_to_the_old_one_is_refused(
    client, personas, appointment, texted_reminder
):
    old_phone = texted_reminder.to_address
    reply = sms_inbound_handle(from_number=old_phone, body="CANCEL")
    cancel = re.search(r"localhost:8000(/messages/appointment/cancel/[^/\s]+/)", reply).group(1)
    assert client.get(cancel).status_code == 200

    with _a_minute_later():
        patient_update(actor=personas.front_desk, patient=personas.patient, phone=NEW_PHONE)
        _refused(client, {"cancel": cancel})
        # Nor does the old number get a new link by texting again: it no longer speaks for the patient.
        assert "could not find an upcoming session" in sms_inbound_handle(from_number=old_phone, body="CANCEL")
    _untouched(appointment)


def test_the_reminders_planned_again_by_the_change_carry_links_that_work(client, personas, appointment):
    appointment_reminders_schedule(appointment=appointment)
    with _a_minute_later():
        late_in_a_second = clock.now().replace(microsecond=900_000)
    # Frozen late in a second: the new links are signed in the very second of the change, which must not count as
    # before it.
    with time_machine.travel(late_in_a_second, tick=False):
        patient_update(actor=personas.front_desk, patient=personas.patient, email=NEW_EMAIL)
        assert Patient.objects.get(pk=personas.patient.pk).contact_changed_at > late_in_a_second.replace(microsecond=0)
        [reminder] = Message.objects.filter(purpose="reminder_email", status=MessageStatus.PENDING)
        assert reminder.to_address == NEW_EMAIL
        confirm, cancel = _path(reminder.context["confirm_url"]), _path(reminder.context["cancel_url"])
        assert client.get(cancel).status_code == 200
        assert client.post(confirm).status_code == 200
    assert AppointmentConfirmation.objects.get(appointment=appointment).source == "link"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda patient: {"preferred_name": "Patty", "legal_last_name": "Ientworth"}, id="name"),
        pytest.param(lambda patient: {"city": "Salem", "emergency_contact_phone": "+16175550111"}, id="address"),
        pytest.param(lambda patient: {"email": patient.email.upper()}, id="email-letter-case"),
        pytest.param(lambda patient: {"phone": patient.phone.removeprefix("+1")}, id="phone-typed-another-way"),
    ],
)
def test_a_change_of_anything_else_leaves_the_links_working(client, personas, appointment, change):
    links = _links(appointment)
    with _a_minute_later():
        patient_update(actor=personas.front_desk, patient=personas.patient, **change(personas.patient))
        assert client.get(links["confirm"]).status_code == 200
        assert client.post(links["cancel"]).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_new_reminder_choices_leave_the_links_working(client, personas, appointment):
    links = _links(appointment)
    with _a_minute_later():
        patient_reminder_preferences_set(
            actor=personas.patient_user, patient=personas.patient, email=False, sms=True, sms_consent=True
        )
        assert client.post(links["confirm"]).status_code == 200
    assert AppointmentConfirmation.objects.filter(appointment=appointment).exists()
