"""Birth dates in the future or before 1900 and phones that are not phone numbers are refused: by the form, by the
chart services (so the API and the portal too), and for the 1900 floor by the database itself."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.core.phones import phone_to_e164
from apps.patients import services
from apps.patients.forms import PatientForm
from apps.patients.models import Patient

pytestmark = pytest.mark.django_db

NEW = {"legal_first_name": "Rosa", "legal_last_name": "Quintero", "date_of_birth": dt.date(1979, 3, 4)}


def _next_week() -> dt.date:
    return clock.local_now().date() + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(617) 555-0123", "+16175550123"),
        ("617.555.0123", "+16175550123"),
        ("1-617-555-0123", "+16175550123"),
        ("+1 617 555 0123", "+16175550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("", ""),
    ],
)
def test_phone_numbers_are_read_into_international_form(typed, stored):
    assert phone_to_e164(typed) == stored


@pytest.mark.parametrize("typed", ["555-0123", "call me", "617-555-01234", "+1 117 555 0123", "12", "+0 617 555 0123"])
def test_what_is_not_a_phone_number_is_refused_with_a_hint(typed):
    with pytest.raises(ValidationError, match="with its area code"):
        phone_to_e164(typed)


def test_the_service_stores_phones_in_international_form(personas):
    patient = services.patient_create(actor=personas.front_desk, **NEW, phone="(617) 555-0123")
    assert patient.phone == "+16175550123"
    updated = services.patient_update(
        actor=personas.front_desk, patient=patient, emergency_contact_phone="617 555 0199"
    )
    assert updated.emergency_contact_phone == "+16175550199"


@pytest.mark.parametrize("field", ["phone", "emergency_contact_phone"])
def test_the_service_refuses_a_phone_that_is_not_a_number(personas, field):
    with pytest.raises(Unprocessable) as refused:
        services.patient_create(actor=personas.front_desk, **NEW, **{field: "ask at the desk"})
    assert field in refused.value.fields
    assert not Patient.objects.filter(legal_last_name="Quintero").exists()


def test_a_number_already_on_file_does_not_block_an_unrelated_change(personas):
    Patient.objects.filter(pk=personas.patient.pk).update(emergency_contact_phone="ask mum")
    updated = services.patient_update(actor=personas.front_desk, patient=personas.patient, city="Salem")
    assert (updated.city, updated.emergency_contact_phone) == ("Salem", "ask mum")


def test_the_service_refuses_a_birth_date_in_the_future(personas):
    with pytest.raises(Unprocessable, match="cannot be in the future") as refused:
        services.patient_create(actor=personas.front_desk, **{**NEW, "date_of_birth": _next_week()})
    assert "date_of_birth" in refused.value.fields
    with pytest.raises(Unprocessable, match="cannot be in the future"):
        services.patient_update(actor=personas.front_desk, patient=personas.patient, date_of_birth=_next_week())


def test_the_service_refuses_a_birth_date_before_1900(personas):
    with pytest.raises(Unprocessable, match="before 1900"):
        services.patient_create(actor=personas.front_desk, **{**NEW, "date_of_birth": dt.date(1899, 12, 31)})


def test_born_today_and_born_on_the_first_day_of_1900_are_accepted(personas):
    today = services.patient_create(actor=personas.front_desk, **{**NEW, "date_of_birth": clock.local_now().date()})
    oldest = services.patient_create(
        actor=personas.front_desk, **{**NEW, "legal_first_name": "Ada", "date_of_birth": dt.date(1900, 1, 1)}
    )
    assert today.pk and oldest.pk


def test_the_database_refuses_a_birth_date_before_1900(personas):
    with pytest.raises(IntegrityError, match="patient_born_from_1900"), transaction.atomic():
        Patient.objects.filter(pk=personas.patient.pk).update(date_of_birth=dt.date(1850, 1, 1))


def test_the_form_refuses_future_and_ancient_birth_dates_and_bad_phones():
    form = PatientForm(data={**NEW, "date_of_birth": _next_week().isoformat(), "phone": "555-0123"})
    assert not form.is_valid()
    assert form.errors["date_of_birth"] == ["A date of birth cannot be in the future."]
    assert "with its area code" in form.errors["phone"][0]
    form = PatientForm(data={**NEW, "date_of_birth": "1899-05-01"})
    assert form.errors["date_of_birth"] == ["A date of birth before 1900 is not accepted: check the year."]


def test_the_edit_page_shows_numbers_as_people_write_them(personas, login):
    Patient.objects.filter(pk=personas.patient.pk).update(phone="+16175550123")
    body = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/edit/").content.decode()
    assert 'type="tel" name="phone" value="(617) 555-0123"' in body


def test_the_new_patient_page_shows_the_refusals_by_their_fields(personas, login):
    response = login(personas.front_desk).post(
        "/patients/new/", {**NEW, "date_of_birth": _next_week().isoformat(), "phone": "not a phone"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "A date of birth cannot be in the future." in body and "with its area code" in body
    assert not Patient.objects.filter(legal_last_name="Quintero").exists()


def test_the_api_answers_422_naming_the_field(personas, login):
    client = login(personas.front_desk, api=True)
    body = {**NEW, "date_of_birth": _next_week().isoformat()}
    response = client.post("/api/patients/", body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unprocessable" and error["fields"]["date_of_birth"] == [
        "A date of birth cannot be in the future."
    ]
    response = client.post("/api/patients/", {**NEW, "phone": "12345"}, format="json")
    assert response.status_code == 422 and "phone" in response.json()["error"]["fields"]
    response = client.patch(f"/api/patients/{personas.patient.pk}/", {"date_of_birth": "1800-01-01"}, format="json")
    assert response.status_code == 422 and "before 1900" in response.json()["error"]["message"]
    assert not Patient.objects.filter(legal_last_name="Quintero").exists()


def test_the_api_stores_a_typed_phone_in_international_form(personas, login):
    response = login(personas.front_desk, api=True).post(
        "/api/patients/", {**NEW, "phone": "(617) 555-0142"}, format="json"
    )
    assert response.status_code == 201 and response.json()["phone"] == "+16175550142"
