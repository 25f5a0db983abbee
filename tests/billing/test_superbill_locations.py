"""A superbill line takes its session's location: the place of service of an in-person session, the service
facility's name and address, and the date of service where the session was held."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string

from apps.billing.models import Charge
from apps.billing.selectors.superbill import superbill
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.diagnoses import billing_profile_set
from apps.core.models import ClinicSettings
from tests.factories import AppointmentFactory
from tests.places import pacific_office, pacific_room

pytestmark = pytest.mark.django_db

PACIFIC = ZoneInfo("America/Los_Angeles")
FEBRUARY = {"start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}


def _held_in_pasadena(patient, service_type, *, day: int, hour: int, **extra):
    office = extra.pop("location")
    start = dt.datetime(2026, 2, day, hour, tzinfo=PACIFIC)
    appointment = AppointmentFactory(
        patient=patient,
        therapist=patient.primary_therapist,
        service_type=service_type,
        location=office,
        start=start,
        end=start + dt.timedelta(minutes=service_type.duration_minutes),
        status="completed",
        **extra,
    )
    charge_for_appointment_outcome(appointment=appointment, actor=None)
    return appointment


@pytest.fixture
def pasadena_sessions(personas, fee_config):
    """A 9 PM Pacific office session on Tuesday Feb 10 (already Feb 11 in New York) and a video session held from
    the Pasadena office on Feb 17."""
    office = pacific_office()
    with time_machine.travel("2026-02-20 12:00:00-05:00", tick=False):
        _held_in_pasadena(
            personas.patient, fee_config["90834"], day=10, hour=21, location=office, room=pacific_room(office)
        )
        _held_in_pasadena(
            personas.patient, fee_config["90834"], day=17, hour=10, location=office, room=None, is_telehealth=True
        )
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=["F45.41"])
    return personas.patient


def test_a_late_pacific_session_is_dated_where_it_was_held(pasadena_sessions):
    assert sorted(Charge.objects.values_list("service_date", flat=True)) == [dt.date(2026, 2, 10), dt.date(2026, 2, 17)]


def test_in_person_lines_take_the_locations_place_of_service_and_telehealth_keeps_the_clinics(pasadena_sessions):
    bill = superbill(patient=pasadena_sessions, **FEBRUARY)
    assert [(line["charge"].service_date.day, line["place_of_service"]) for line in bill["lines"]] == [
        (10, "22"),
        (17, "10"),
    ]
    facility = {"name": "Pasadena office", "address": "200 Colorado Blvd, Pasadena, CA 91101"}
    assert [line["facility"] for line in bill["lines"]] == [facility, facility]
    assert bill["facilities"] == [facility]


def test_the_pdf_names_the_service_facility_and_its_address(pasadena_sessions):
    html = render_to_string(
        "billing/pdf/superbill.html",
        {**superbill(patient=pasadena_sessions, **FEBRUARY), "clinic": ClinicSettings.load()},
    )
    assert "Pasadena office, 200 Colorado Blvd, Pasadena, CA 91101" in html
    assert "<td>02/10/2026</td><td>22</td><td>Pasadena office</td>" in html
