"""The patient's own settings: contact details (audited old -> new), reminder channels, consent and opt-out."""

import pghistory.models
import pytest

from apps.audit.models import AccessLog
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db

CONTACT = {
    "preferred_name": "Patty",
    "pronouns": "she/her",
    "email": "pat.new@example.test",
    "phone": "+16175550199",
    "address_line1": "1 Elm Street",
    "address_line2": "",
    "city": "Boston",
    "state": "MA",
    "postal_code": "02110",
    "emergency_contact_name": "Sam Ient",
    "emergency_contact_phone": "+16175550111",
    "emergency_contact_relationship": "Brother",
}


def test_patient_changes_contact_details_and_the_change_is_audited_old_to_new(personas, login):
    old_email = personas.patient.email
    client = login(personas.patient_user)

    response = client.post("/portal/settings/contact/", CONTACT)

    assert response.status_code == 302
    patient = Patient.objects.get(pk=personas.patient.pk)
    assert (patient.email, patient.phone, patient.city) == ("pat.new@example.test", "+16175550199", "Boston")
    entry = AccessLog.objects.get(action="contact_details_change")
    assert entry.actor == personas.patient_user
    assert entry.patient_id == patient.pk
    assert entry.detail["before"]["email"] == old_email
    assert entry.detail["after"]["email"] == "pat.new@example.test"
    assert "legal_first_name" not in entry.detail["after"]
    events = pghistory.models.Events.objects.references(patient).filter(pgh_label="update")
    assert events.exists()


def test_saving_unchanged_contact_details_writes_no_audit_row(personas, login):
    client = login(personas.patient_user)
    patient = personas.patient
    unchanged = {field: getattr(patient, field) or "" for field in CONTACT}

    assert client.post("/portal/settings/contact/", unchanged).status_code == 302

    assert not AccessLog.objects.filter(action="contact_details_change").exists()


def test_a_bad_email_is_refused_with_a_message_and_nothing_changes(personas, login):
    client = login(personas.patient_user)

    response = client.post("/portal/settings/contact/", {**CONTACT, "email": "not-an-email"})

    assert response.status_code == 422
    said = "Enter “Email for reminders and receipts” as an email address, for example name@example.com."
    assert said in response.content.decode()
    assert Patient.objects.get(pk=personas.patient.pk).city != "Boston"
    assert not AccessLog.objects.filter(action="contact_details_change").exists()


def test_legal_name_cannot_be_changed_from_the_portal(personas, login):
    client = login(personas.patient_user)

    client.post("/portal/settings/contact/", {**CONTACT, "legal_first_name": "Mallory"})

    assert Patient.objects.get(pk=personas.patient.pk).legal_first_name == "Pat"


def test_text_reminders_need_consent_and_a_phone(personas, login):
    client = login(personas.patient_user)
    Patient.objects.filter(pk=personas.patient.pk).update(phone="")

    no_consent = client.post("/portal/settings/reminders/", {"email": "on", "sms": "on"})
    no_phone = client.post("/portal/settings/reminders/", {"email": "on", "sms": "on", "sms_consent": "on"})

    assert no_consent.status_code == 422
    assert "need your agreement" in no_consent.content.decode()
    assert no_phone.status_code == 422
    assert "Add a mobile number" in no_phone.content.decode()
    assert Patient.objects.get(pk=personas.patient.pk).reminder_sms is False


def test_patient_turns_on_text_reminders_then_stops_all_texts(personas, login):
    Patient.objects.filter(pk=personas.patient.pk).update(phone="+16175550123")
    client = login(personas.patient_user)

    client.post("/portal/settings/reminders/", {"email": "on", "sms": "on", "sms_consent": "on"})
    patient = Patient.objects.get(pk=personas.patient.pk)
    assert patient.reminder_sms and patient.sms_consent_at is not None

    client.post("/portal/settings/stop-texts/")

    patient.refresh_from_db()
    assert (patient.reminder_sms, patient.sms_consent_at) == (False, None)
    assert patient.sms_opted_out_at is not None
    actions = list(AccessLog.objects.order_by("at").values_list("action", "detail"))
    assert actions[0] == (
        "reminder_preferences_change",
        {
            "before": {"reminder_email": True, "reminder_sms": False, "sms_consent": False},
            "after": {"reminder_email": True, "reminder_sms": True, "sms_consent": True},
            "how": "portal",
        },
    )
    assert actions[1][0] == "sms_opt_out"


def test_a_new_mobile_number_needs_consent_to_texts_again_and_the_patient_is_told(personas, login):
    client = login(personas.patient_user)
    client.post("/portal/settings/reminders/", {"email": "on", "sms": "on", "sms_consent": "on"})

    response = client.post("/portal/settings/contact/", CONTACT, follow=True)

    patient = Patient.objects.get(pk=personas.patient.pk)
    assert (patient.phone, patient.reminder_sms, patient.sms_consent_at) == ("+16175550199", False, None)
    assert "Texts are off for your new number until you agree to them under Reminders." in response.content.decode()


def test_patient_opts_out_of_email_reminders(personas, login):
    client = login(personas.patient_user)

    client.post("/portal/settings/reminders/", {})

    assert Patient.objects.get(pk=personas.patient.pk).reminder_email is False


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "admin"])
def test_staff_have_no_portal_settings(personas, login, persona):
    client = login(getattr(personas, persona))

    assert client.get("/portal/settings/").status_code == 403
    assert client.post("/portal/settings/contact/", CONTACT).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/portal/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_settings_page_shows_the_patients_own_details_only(personas, login):
    client = login(personas.patient_user)

    body = client.get("/portal/settings/").content.decode()

    assert personas.patient.legal_name in body
    assert personas.other_patient.legal_name not in body


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("(617) 555-0123", "+16175550123"), ("617.555.0123", "+16175550123"), ("+44 20 7946 0958", "+442079460958")],
)
def test_phone_numbers_are_stored_in_international_form(personas, login, typed, stored):
    client = login(personas.patient_user)

    assert client.post("/portal/settings/contact/", {**CONTACT, "phone": typed}).status_code == 302

    assert Patient.objects.get(pk=personas.patient.pk).phone == stored


def test_the_form_shows_numbers_as_people_write_them_and_keeps_them_as_they_are(personas, login):
    Patient.objects.filter(pk=personas.patient.pk).update(phone="+16175550123", emergency_contact_phone="+16175550199")
    client = login(personas.patient_user)
    body = client.get("/portal/settings/").content.decode()
    assert 'value="(617) 555-0123"' in body and 'value="(617) 555-0199"' in body and "+1617555" not in body

    form = client.get("/portal/settings/").context["contact_form"]
    sent = {name: form[name].value() or "" for name in form.fields}
    sent.update(phone="(617) 555-0123", emergency_contact_phone="(617) 555-0199")
    assert client.post("/portal/settings/contact/", sent).status_code == 302
    patient = Patient.objects.get(pk=personas.patient.pk)
    assert (patient.phone, patient.emergency_contact_phone) == ("+16175550123", "+16175550199")


def test_a_phone_number_without_an_area_code_is_refused_with_a_hint(personas, login):
    client = login(personas.patient_user)

    response = client.post("/portal/settings/contact/", {**CONTACT, "phone": "555-0123"})

    assert response.status_code == 422
    assert "with its area code" in response.content.decode()


def test_a_patient_cannot_change_someone_elses_contact_details(personas):
    from apps.core.errors import NotFound
    from apps.portal.services import contact_details_update

    with pytest.raises(NotFound):
        contact_details_update(actor=personas.patient_user, patient=personas.other_patient, phone="+16175550100")

    assert Patient.objects.get(pk=personas.other_patient.pk).phone != "+16175550100"
    assert not AccessLog.objects.filter(action="contact_details_change").exists()
