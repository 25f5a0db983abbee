"""Consent to texts was given for one mobile number: a new number needs it again; other changes keep it."""

import pytest

from apps.patients import services
from apps.patients.models import DEMOGRAPHIC_FIELDS, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def texting(personas):
    services.patient_reminder_preferences_set(
        actor=personas.patient_user, patient=personas.patient, email=True, sms=True, sms_consent=True
    )
    personas.patient.refresh_from_db()
    return personas.patient


def _chart_form(patient, **changes) -> dict:
    data = {field: getattr(patient, field) for field in DEMOGRAPHIC_FIELDS}
    data["primary_therapist"] = patient.primary_therapist_id or ""
    data = {field: value for field, value in data.items() if value not in (None, False)}
    return {**data, **changes}


def test_staff_changing_the_mobile_number_are_told_texts_wait_for_the_patients_consent(personas, login, texting):
    response = login(personas.front_desk).post(
        f"/patients/{texting.pk}/edit/", _chart_form(texting, phone="(617) 555-0199"), follow=True
    )

    texting.refresh_from_db()
    assert (texting.phone, texting.reminder_sms, texting.sms_consent_at) == ("+16175550199", False, None)
    assert "Text reminders are off until the patient agrees to texts at the new number" in response.content.decode()


def test_a_new_emergency_contact_number_keeps_consent_to_texts(personas, texting):
    services.patient_update(actor=personas.front_desk, patient=texting, emergency_contact_phone="(617) 555-0111")

    texting = Patient.objects.get(pk=texting.pk)
    assert texting.reminder_sms and texting.sms_consent_at is not None


def test_the_django_admin_changes_no_contact_detail_or_reminder_choice(personas, superuser_admin):
    """They change through the chart, where a new number withdraws the consent given for the old one and the
    queued reminders follow: the admin shows them and changes none of them."""
    url = f"/admin/patients/patient/{personas.patient.pk}/change/"
    page = superuser_admin.get(url).content.decode()
    for field in ("email", "phone", "time_zone", "reminder_sms", "sms_consent_at"):
        assert f'name="{field}"' not in page
