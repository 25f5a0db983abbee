"""Every staff form that chooses a patient lists them by name, date of birth and chart number (Patient.choice_label),
so two people of the same name are told apart; the API offers the same label."""

import datetime as dt
import importlib
import inspect

import pytest
from django import forms
from django.apps import apps as django_apps

from apps.core.when import day_text
from apps.patients.forms import PatientChoiceField
from apps.patients.models import Patient
from apps.programs.forms import EnrollPatientForm
from apps.scheduling.forms import AppointmentForm, SeriesForm
from apps.waitlist.forms import StaffSlotRequestForm
from tests.factories import PatientFactory
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def namesakes(db):
    """Two patients called John Smith, born on different days."""
    return [
        PatientFactory(legal_first_name="John", legal_last_name="Smith", date_of_birth=dt.date(1961, 7, 2)),
        PatientFactory(legal_first_name="John", legal_last_name="Smith", date_of_birth=dt.date(1994, 11, 30)),
    ]


def test_the_label_names_the_patient_their_birth_date_and_chart(namesakes):
    older, younger = namesakes
    assert older.choice_label == f"John Smith · born July 2, 1961 · chart {older.chart_number}"
    assert older.choice_label != younger.choice_label


def _patient_choice_fields():
    """Every declared form field in the project that chooses a patient."""
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, form_class in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form_class, forms.BaseForm):
                continue
            for name, field in form_class.base_fields.items():
                queryset = getattr(field, "queryset", None)
                if isinstance(field, forms.ModelChoiceField) and (
                    name == "patient" or (queryset is not None and queryset.model is Patient)
                ):
                    yield f"{form_class.__module__}.{form_class.__name__}.{name}", field


def test_every_form_that_chooses_a_patient_uses_the_one_label():
    fields = dict(_patient_choice_fields())
    assert len(fields) >= 4
    assert {name for name, field in fields.items() if not isinstance(field, PatientChoiceField)} == set()


def _labels(form) -> list[str]:
    return [label for value, label in form.fields["patient"].choices if value]


def test_the_booking_and_series_forms_show_the_label(personas, namesakes):
    for form in (AppointmentForm(user=personas.front_desk), SeriesForm(user=personas.front_desk)):
        labels = _labels(form)
        assert namesakes[0].choice_label in labels and namesakes[1].choice_label in labels


def test_the_enrolment_and_slot_waitlist_forms_show_the_label(personas, namesakes):
    program = scheduled_program(actor=personas.admin)
    for form in (EnrollPatientForm(program=program), StaffSlotRequestForm()):
        assert {n.choice_label for n in namesakes} <= set(_labels(form))


@pytest.mark.parametrize("url", ["/schedule/appointments/new/", "/schedule/series/new/", "/programs/slots/"])
def test_the_booking_pages_show_birth_date_and_chart_number(personas, login, namesakes, url):
    body = login(personas.front_desk).get(url).content.decode()
    for patient in namesakes:
        assert f"born {day_text(patient.date_of_birth)} · chart {patient.chart_number}" in body


def test_the_api_gives_the_same_label(personas, login, namesakes):
    rows = login(personas.front_desk, api=True).get("/api/patients/", {"search": "John Smith"}).json()["results"]
    # Other patients' names are made up at random and may hold "Smith" too: compare the namesakes' rows only.
    labels = {row["id"]: row["choice_label"] for row in rows}
    assert [labels.get(n.pk) for n in namesakes] == [n.choice_label for n in namesakes]
