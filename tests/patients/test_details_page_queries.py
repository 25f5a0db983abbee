"""The patient details page, the chart and the portal home read each of the patient's rows once: the care ladder's
next step and the page's cards (sessions, programs, offers) share the enrollments, the live slot requests and the
next session instead of each asking again."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.models import ClinicSettings
from apps.programs.services.seats import program_enroll
from tests.factories import AppointmentFactory
from tests.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db

DETAILS_MOST_QUERIES = 25  # for the front desk, with the menu's work-queue counts
PORTAL_HOME_MOST_QUERIES = 19


@pytest.fixture
def busy_patient(personas):
    """The persona patient in a group program (whose meetings are prefetched) with a session booked."""
    program_enroll(actor=personas.front_desk, program=ProgramFactory(), patient=personas.patient)
    AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    ClinicSettings.load()
    return personas.patient


def _queries(client, path: str) -> list[str]:
    client.get(path)  # the first view fills the roles cache, as a user's first request does
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _reads(queries: list[str], table: str) -> int:
    return sum(sql.startswith("SELECT") and f'FROM "{table}"' in sql for sql in queries)


def test_the_details_page_reads_the_patients_enrollments_and_slot_requests_once(personas, login, busy_patient):
    queries = _queries(login(personas.front_desk), f"/patients/{busy_patient.pk}/")

    assert len(queries) <= DETAILS_MOST_QUERIES, "\n".join(queries)
    assert _reads(queries, "programs_enrollment") == 1
    assert _reads(queries, "programs_slotrequest") == 1
    assert _reads(queries, "intake_intakedocument") == 1


def test_the_portal_home_reads_enrollments_slot_requests_and_the_next_session_once(personas, login, busy_patient):
    queries = _queries(login(personas.patient_user), "/portal/")

    assert len(queries) <= PORTAL_HOME_MOST_QUERIES, "\n".join(queries)
    assert _reads(queries, "programs_enrollment") == 1
    assert _reads(queries, "programs_slotrequest") == 1
    assert _reads(queries, "scheduling_appointment") == 1  # the next session (the meetings come joined to theirs)


def test_a_page_outside_the_request_memo_still_reads_fresh_rows(personas, busy_patient):
    from apps.programs.selectors import patient_enrollments_shown

    assert len(patient_enrollments_shown(patient=busy_patient)) == 1
    busy_patient.program_enrollments.all().delete()
    assert patient_enrollments_shown(patient=busy_patient) == []


def test_the_chart_and_its_care_ladder_card_read_the_next_session_once(personas, login, busy_patient):
    queries = _queries(login(personas.therapist), f"/notes/patients/{busy_patient.pk}/chart/")

    # The sessions that have started (with their notes), and the next one, which the chart's line and the care
    # ladder's next step both name.
    assert _reads(queries, "scheduling_appointment") == 2, "\n".join(queries)
