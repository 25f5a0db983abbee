"""Patients set their own time zone (portal settings, or staff on the chart and through the API), and every portal
page that shows a session gives its local time at its location, plus the patient's own time when that differs."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AccessLog
from apps.outcomes.services import questionnaires_send_for_appointment
from apps.patients.forms import PatientForm
from apps.patients.models import Patient
from apps.scheduling import services
from tests.factories import ServiceTypeFactory
from tests.places import pacific_office, pacific_room

from .test_settings_pages import CONTACT

pytestmark = pytest.mark.django_db

PACIFIC = ZoneInfo("America/Los_Angeles")
MONDAY = dt.date(2026, 6, 1)


def test_a_patient_sets_their_zone_in_the_portal_and_the_change_is_audited(personas, login):
    client = login(personas.patient_user)
    page = client.get("/portal/settings/").content.decode()
    assert "Same as the clinic (New York)" in page
    # The zones people here live in come first by the names people use; the rest follow, grouped.
    assert page.index("Pacific time (Los Angeles)") < page.index('<optgroup label="Elsewhere">')
    assert "Europe / Berlin" in page

    response = client.post("/portal/settings/contact/", {**CONTACT, "time_zone": "America/Chicago"})

    assert response.status_code == 302
    assert Patient.objects.get(pk=personas.patient.pk).time_zone == "America/Chicago"
    assert AccessLog.objects.get(action="contact_details_change").detail["after"]["time_zone"] == "America/Chicago"


def test_an_unknown_zone_is_refused_with_a_message_and_nothing_changes(personas, login):
    response = login(personas.patient_user).post("/portal/settings/contact/", {**CONTACT, "time_zone": "Mars/Olympus"})

    assert response.status_code == 422
    assert "Choose one of the answers offered for “Your time zone”." in response.content.decode()
    assert Patient.objects.get(pk=personas.patient.pk).time_zone == ""


def test_the_front_desk_sets_a_patients_zone_on_the_chart(personas, login):
    patient = personas.patient
    data = {name: value for name, value in PatientForm(instance=patient).initial.items() if value is not None}
    data["primary_therapist"] = patient.primary_therapist_id

    response = login(personas.front_desk).post(f"/patients/{patient.pk}/edit/", {**data, "time_zone": "America/Denver"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Patient.objects.get(pk=patient.pk).time_zone == "America/Denver"


def test_the_api_sets_a_zone_and_refuses_an_unknown_one_with_400(personas, login):
    client = login(personas.front_desk, api=True)
    url = f"/api/patients/{personas.patient.pk}/"

    assert client.patch(url, {"time_zone": "America/Phoenix"}, format="json").status_code == 200
    refused = client.patch(url, {"time_zone": "Nowhere/Else"}, format="json")

    assert refused.status_code == 400, refused.json()
    assert "not a time zone" in str(refused.json()), refused.json()
    assert client.get(url).json()["time_zone"] == "America/Phoenix"


@pytest.fixture
def pasadena_sessions(personas):
    """The patient (set to New York time) has two sessions at the Pasadena office: 10 AM Pacific on Monday and
    Tuesday. The clock stands at the Friday before."""
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone="America/New_York")
    office = pacific_office()
    room, service = pacific_room(office), ServiceTypeFactory()
    with time_machine.travel(dt.datetime(2026, 5, 29, 9, tzinfo=PACIFIC), tick=False) as traveller:
        booked = [
            services.appointment_book(
                actor=personas.front_desk,
                therapist=personas.therapist,
                patient=Patient.objects.get(pk=personas.patient.pk),
                service_type=service,
                start=dt.datetime.combine(MONDAY + dt.timedelta(days=n), dt.time(10), tzinfo=PACIFIC),
                room=room,
                override_reason="Visiting the Pasadena office",
            )
            for n in range(2)
        ]
        yield booked, traveller


def test_portal_pages_show_the_sessions_local_time_and_the_patients_own(personas, login, pasadena_sessions):
    [monday, _tuesday] = pasadena_sessions[0]
    client = login(personas.patient_user)
    when = "Monday, June 1 at 10:00 AM Los Angeles time (1:00 PM your time)"

    home = client.get("/portal/").content.decode()
    sessions = client.get("/portal/sessions/").content.decode()
    cancel = client.get(f"/portal/sessions/{monday.pk}/cancel/").content.decode()

    assert when in home
    assert when in sessions and "Tuesday, June 2 at 10:00 AM Los Angeles time (1:00 PM your time)" in sessions
    assert "Pasadena office, Sequoia · 200 Colorado Blvd, Pasadena, CA 91101" in sessions
    assert when in cancel


def test_a_patient_in_the_sessions_zone_sees_no_second_time(personas, login, pasadena_sessions):
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone="America/Los_Angeles")

    sessions = login(personas.patient_user).get("/portal/sessions/").content.decode()

    assert "Monday, June 1 at 10:00 AM Los Angeles time" in sessions and "your time" not in sessions


def test_the_sessions_page_costs_the_same_queries_for_more_sessions(personas, login, pasadena_sessions):
    client = login(personas.patient_user)
    client.get("/portal/sessions/")  # warms the signed-in session and the zones cache

    with CaptureQueriesContext(connection) as two:
        client.get("/portal/sessions/")
    services.appointment_cancel(actor=personas.front_desk, appointment=pasadena_sessions[0][1])
    with CaptureQueriesContext(connection) as one:
        client.get("/portal/sessions/")

    assert len(two.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize("kept", ["US/Eastern", "EST5EDT"])
def test_a_zone_kept_under_an_old_name_stays_chosen_when_the_settings_are_saved(personas, login, kept):
    """An integration may have set an old alias the forms do not offer: the page shows it chosen, and saving the
    other details keeps it instead of falling back to the clinic's zone."""
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone=kept)
    client = login(personas.patient_user)
    page = client.get("/portal/settings/").content.decode()
    assert f'<option value="{kept}" selected>' in page

    response = client.post("/portal/settings/contact/", {**CONTACT, "time_zone": kept})

    assert response.status_code == 302
    assert Patient.objects.get(pk=personas.patient.pk).time_zone == kept


def test_questionnaires_say_which_session_they_are_for_in_its_time_and_the_patients(personas, login, pasadena_sessions):
    questionnaires_send_for_appointment(appointment=pasadena_sessions[0][0])

    page = login(personas.patient_user).get("/portal/questionnaires/").content.decode()

    assert "before your session on Monday, June 1 at 10:00 AM Los Angeles time (1:00 PM your time)" in page
