"""Ending a patient's care: asked first on the chart, refused while sessions are still booked (their reminders
would go on and a missed one be charged), by the same check on the page and in the API; a discharged patient is
booked no more until reactivated."""

import datetime as dt
from html import escape

import pytest

from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from apps.patients.models import Patient
from apps.patients.services import discharge_refusal, patient_discharge
from apps.scheduling.services import appointment_book, appointment_cancel
from tests.factories import ServiceTypeFactory
from tests.scheduling.conftest import give_working_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(personas):
    """A session booked for the patient three days from now."""
    give_working_hours(personas.therapist, start=dt.time(0), end=dt.time(23, 59), weekdays=range(7))
    start = (clock.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=start,
        override_reason="Any hour the suite runs",
    )


def _url(patient, what: str = "discharge") -> str:
    return f"/patients/{patient.pk}/{what}/"


def test_the_chart_asks_first_then_discharges_and_reactivates(personas, login):
    client = login(personas.front_desk)
    assert _url(personas.patient) in client.get(f"/patients/{personas.patient.pk}/").content.decode()
    asked = client.get(_url(personas.patient))
    assert asked.status_code == 200 and f"Yes, discharge {personas.patient.display_name}" in asked.content.decode()
    assert client.post(_url(personas.patient)).status_code == 200  # unconfirmed: asks again
    assert Patient.objects.get(pk=personas.patient.pk).status == "active"
    done = client.post(_url(personas.patient), {"confirmed": "yes"})
    assert done.status_code == 302
    patient = Patient.objects.get(pk=personas.patient.pk)
    assert patient.status == "discharged" and patient.discharged_on == clock.local_now().date()
    assert AccessLog.objects.filter(action="patient_discharge", patient_id=patient.pk).exists()
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Reactivate</button>" in page and _url(patient) not in page
    assert "Book a session" not in page and "Discharged: reactivate them to book a session." in page
    assert client.post(_url(patient, "reactivate")).status_code == 302
    patient = Patient.objects.get(pk=patient.pk)
    assert (patient.status, patient.discharged_on) == ("active", None)


def test_sessions_still_booked_stand_in_the_way_on_the_page_in_the_api_and_in_the_service(personas, login, booked):
    refusal = discharge_refusal(patient=personas.patient)
    assert refusal.startswith(f"{personas.patient.display_name} has 1 booked session to come")
    page = login(personas.front_desk).get(_url(personas.patient))
    assert page.status_code == 409 and escape(refusal) in page.content.decode()
    assert "Yes, discharge" not in page.content.decode()
    api = login(personas.front_desk, api=True).post(f"/api/patients/{personas.patient.pk}/discharge/")
    assert api.status_code == 409 and api.json()["error"]["message"] == refusal
    with pytest.raises(Conflict):
        patient_discharge(actor=personas.front_desk, patient=personas.patient)
    appointment_cancel(appointment=booked, actor=personas.front_desk, reason="Treatment ended", waive_late_fee=True)
    assert discharge_refusal(patient=personas.patient) == ""
    response = login(personas.front_desk, api=True).post(f"/api/patients/{personas.patient.pk}/discharge/")
    assert response.status_code == 200 and response.json()["status"] == "discharged"


def test_a_discharged_patient_is_booked_no_more_until_reactivated(personas, login):
    discharged = patient_discharge(actor=personas.front_desk, patient=personas.patient)
    with pytest.raises(Unprocessable, match="discharged"):
        appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=discharged,
            service_type=ServiceTypeFactory(),
            start=clock.now() + dt.timedelta(days=2),
            override_reason="Any hour",
        )
    api = login(personas.front_desk, api=True)
    assert api.post(f"/api/patients/{personas.patient.pk}/discharge/").status_code == 409  # already
    assert api.post(f"/api/patients/{personas.patient.pk}/reactivate/").json()["status"] == "active"
    assert api.post(f"/api/patients/{personas.patient.pk}/reactivate/").status_code == 409


@pytest.mark.parametrize(("persona", "allowed"), [("therapist", True), ("billing", False), ("other_therapist", False)])
def test_who_may_discharge(personas, login, persona, allowed):
    response = login(getattr(personas, persona)).post(_url(personas.patient), {"confirmed": "yes"})
    assert (response.status_code == 302) is allowed
    assert (Patient.objects.get(pk=personas.patient.pk).status == "discharged") is allowed


def test_the_django_admin_is_no_way_around_the_discharge_rule(personas, superuser_admin, booked):
    page = superuser_admin.get(f"/admin/patients/patient/{personas.patient.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="discharged_on"' not in page


def test_opening_a_patient_in_the_django_admin_is_in_the_access_log(personas, superuser_admin):
    """The admin's patient page shows the demographics the chart shows; reading it is logged as opening the chart is."""
    from apps.audit.models import AccessLog

    response = superuser_admin.get(f"/admin/patients/patient/{personas.patient.pk}/change/")
    assert response.status_code == 200
    log = AccessLog.objects.get(action="patient_admin_view")
    assert (log.actor, log.patient_id, log.subject_id) == (
        personas.admin,
        personas.patient.pk,
        str(personas.patient.pk),
    )
    superuser_admin.get("/admin/patients/patient/")  # the list shows chart numbers only: no row per patient
    assert AccessLog.objects.filter(action="patient_admin_view").count() == 1
