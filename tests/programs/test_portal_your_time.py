"""The program pages tell a patient whose own zone differs from the clinic's when the program meets on their clock too,
as every other portal page tells a session's time."""

import pytest

from apps.patients.models import Patient

from .factories import ProgramFactory, scheduled_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_los_angeles(personas):
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone="America/Los_Angeles")
    return personas


def test_a_programs_time_is_told_on_the_patients_clock_too(in_los_angeles, login):
    personas = in_los_angeles
    planned = ProgramFactory(title="Planned group")  # 6:00 PM on the clinic's clock, no meetings booked yet
    booked = scheduled_program(actor=personas.front_desk, title="Booked group")
    client = login(personas.patient_user)

    listing = client.get("/portal/programs/").content.decode()
    assert listing.count("at 6:00 PM New York time (3:00 PM your time)") == 2
    for program in (planned, booked):
        page = client.get(f"/portal/programs/{program.pk}/").content.decode()
        weekday = program.first_meeting_on.strftime("%A")
        assert f"{weekday}s at 6:00 PM New York time (3:00 PM your time), from" in page


def test_a_patient_on_the_clinics_clock_is_told_it_once(personas, login):
    program = ProgramFactory()
    page = login(personas.patient_user).get(f"/portal/programs/{program.pk}/").content.decode()
    assert "at 6:00 PM New York time, from" in page and "your time" not in page
