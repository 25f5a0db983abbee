"""The patient details page, the chart and the portal home read each of the patient's rows once: the care ladder's
next step and the page's cards (sessions, programs, offers) share the enrollments, the live slot requests and the
next session instead of each asking again; the chart's trends, flags and plan progress share the patient's answers.
The care ladder's, the referrals' and the treatment plan's cards each read their rows in one query. Each page's query
count is held at what it is, so a query more fails here."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.core.time_zones import when_text
from apps.intake.services import packet_send
from apps.ladder.models import CareLevel
from apps.ladder.services import care_level_set
from apps.outcomes.models import QuestionnaireAssignment
from apps.outcomes.services import questionnaire_answer, questionnaires_send_for_appointment
from apps.programs.services.seats import program_enroll
from apps.referrals.services import clearance_exception_grant, clearance_record, inbound_receive
from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory
from tests.notes.conftest import signed_plan_for
from tests.programs.factories import ProgramFactory
from tests.referrals.conftest import PHYSICIAN, REASON, clearance_pdf, psychiatry_referral

pytestmark = pytest.mark.django_db

# The details page for the front desk (with the menu's work-queue counts) and for the patient's therapist; one of them
# asks which emails about the patient's portal account could not be sent. A therapist's menu has its own count
# query too: whether they take messages (the Inbox entry) and their unread conversations, asked together. The intake
# card and the referrals card's ended release share one read of the patient's signatures. The clinic settings row is
# one of them here, read inside the test's transaction; a served request takes it from the cache
# (tests/core/test_settings_kept.py).
# Staff sign-in reads the session and the user with the verified device and their therapist profile (2,
# apps/accounts/session_user.py), so no page reads a therapist's discipline again. A therapist's coming sessions and
# the patient's next one (another therapist's, maybe), which the care ladder names, are read in one query. The care
# ladder's card reads the level with its moves, and the referrals card the clearances, exceptions and referrals both
# ways, one query each. The programs card links a program for a therapist only if they facilitate it: whether
# they lead or co-lead the patient's programs is one query, however many there are.
DETAILS_QUERIES = {"front_desk": 17, "therapist": 17}
# Whether the menu offers Book (no intake on record yet) is asked in the menu's one count query; the forms card is
# one query, and the balance, the questionnaires waiting and the two-step offer one more.
PORTAL_HOME_QUERIES = 13
# For the treating therapist, with a plan in force (its problems, goals and interventions read together) and a PHQ-9
# answer flagged; one is the menu's.
CHART_QUERIES = 22


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


@pytest.mark.parametrize("viewer", DETAILS_QUERIES)
def test_the_details_page_reads_the_patients_enrollments_and_slot_requests_once(personas, login, busy_patient, viewer):
    queries = _queries(login(getattr(personas, viewer)), f"/patients/{busy_patient.pk}/")

    assert len(queries) == DETAILS_QUERIES[viewer], "\n".join(queries)
    assert _reads(queries, "programs_enrollment") == 1
    assert _reads(queries, "programs_slotrequest") == 1
    assert _reads(queries, "intake_intakedocument") == 1
    assert _reads(queries, "intake_signature") == 1


def test_a_therapist_reads_which_programs_they_may_open_in_one_query_however_many(personas, login, busy_patient):
    path = f"/patients/{busy_patient.pk}/"
    for _ in range(2):
        program_enroll(actor=personas.front_desk, program=ProgramFactory(), patient=busy_patient)

    assert len(_queries(login(personas.therapist), path)) == DETAILS_QUERIES["therapist"]


def test_the_portal_home_reads_enrollments_slot_requests_and_the_next_session_once(personas, login, busy_patient):
    queries = _queries(login(personas.patient_user), "/portal/")

    assert len(queries) == PORTAL_HOME_QUERIES, "\n".join(queries)
    assert _reads(queries, "programs_enrollment") == 1
    assert _reads(queries, "programs_slotrequest") == 1
    # The next session's rows once (the meetings come joined to theirs); the menu's Book asks only whether an intake
    # is on record, in an existence check of its own.
    assert sum(sql.startswith('SELECT "scheduling_appointment".') for sql in queries) == 1, "\n".join(queries)


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


def test_the_details_page_reads_the_coming_sessions_and_the_next_one_together(personas, login, busy_patient):
    """Whoever sees every session (the front desk) reads the next one, which the care ladder names, as the first of
    the coming sessions the sessions card lists."""
    queries = _queries(login(personas.front_desk), f"/patients/{busy_patient.pk}/")

    assert _reads(queries, "scheduling_appointment") == 1, "\n".join(queries)


def test_a_therapists_coming_sessions_and_the_patients_next_one_are_read_together(personas, login, busy_patient):
    """The patient's next session is another therapist's: the care ladder names it, the therapist's sessions card
    lists only their own, and both come from one read of the sessions."""
    own = Appointment.objects.get(patient=busy_patient)
    start = own.start - dt.timedelta(days=2)
    AppointmentFactory(therapist=personas.other_therapist, patient=busy_patient, start=start)
    client = login(personas.therapist)

    queries = _queries(client, f"/patients/{busy_patient.pk}/")
    page = client.get(f"/patients/{busy_patient.pk}/").content.decode()

    assert _reads(queries, "scheduling_appointment") == 1, "\n".join(queries)
    sessions_card = page.split('id="sessions-h"')[1].split("</section>")[0]
    assert reverse("scheduling:appointment_detail", args=[own.pk]) in sessions_card
    assert personas.other_therapist.full_name not in sessions_card
    ladder_card = page.split('id="care-level-h"')[1].split("</section>")[0]
    other = Appointment.objects.get(start=start)
    assert f"Next session: {when_text(other.start, zone=other.zone, day_format='l, F j')}." in ladder_card


def _packet_items_read_apart(queries: list[str]) -> int:
    return sum(sql.startswith('SELECT "intake_packetitem"') for sql in queries)


def test_the_intake_cards_read_what_was_sent_with_the_documents(personas, login, busy_patient):
    packet_send(actor=personas.front_desk, patient=busy_patient)

    details = _queries(login(personas.front_desk), f"/patients/{busy_patient.pk}/")
    portal = _queries(login(personas.patient_user), "/portal/")

    assert _packet_items_read_apart(details) == 0, "\n".join(details)
    assert _packet_items_read_apart(portal) == 0, "\n".join(portal)


@pytest.fixture
def plan_and_flag(personas, busy_patient):
    """A signed plan with a PHQ-9 goal, and a PHQ-9 answered with thoughts of self-harm (a flag nobody reviewed)."""
    questionnaires_send_for_appointment(appointment=Appointment.objects.get(patient=busy_patient))
    phq9 = QuestionnaireAssignment.objects.get(patient=busy_patient, instrument="phq9")
    questionnaire_answer(actor=personas.patient_user, assignment=phq9, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])
    signed_plan_for(personas.therapist, busy_patient)
    return busy_patient


def test_the_chart_reads_the_patients_answers_once_for_trends_flags_and_plan_progress(personas, login, plan_and_flag):
    client = login(personas.therapist)
    queries = _queries(client, f"/notes/patients/{plan_and_flag.pk}/chart/")
    body = client.get(f"/notes/patients/{plan_and_flag.pk}/chart/").content.decode()

    assert len(queries) == CHART_QUERIES, "\n".join(queries)
    assert _reads(queries, "outcomes_questionnaireresponse") == 1, "\n".join(queries)
    assert "thoughts of death or self-harm answered above" in body
    assert "Latest 10 / 27" in body  # the PHQ-9 goal's progress, from the same answers


def test_the_portal_home_reads_the_two_step_offer_and_the_therapist_without_queries_of_their_own(
    personas, login, busy_patient
):
    client = login(personas.patient_user)
    queries = _queries(client, "/portal/")
    body = client.get("/portal/").content.decode()

    two_step = [sql for sql in queries if '"otp_totp_totpdevice"' in sql or '"portal_portalaccount"' in sql]
    assert len(two_step) == 1, "\n".join(two_step)
    assert sum(sql.startswith('SELECT "accounts_user"') for sql in queries) == 1, "\n".join(queries)  # the session's
    assert "Theo Rapist" in body
    assert "Optional: add two-step sign-in" in body


LADDER_TABLES = ("ladder_patientcarelevel", "ladder_carelevelmove")
REFERRAL_TABLES = (
    "referrals_clearancedocument",
    "referrals_clearanceexception",
    "referrals_inboundreferral",
    "referrals_outboundreferral",
)
PLAN_PART_TABLES = ("notes_problem", "notes_goal", "notes_intervention")


def _reading_any(queries: list[str], tables: tuple[str, ...]) -> int:
    return sum(sql.startswith("SELECT") and any(f'FROM "{table}"' in sql for table in tables) for sql in queries)


@pytest.fixture
def referred_and_placed(personas, busy_patient):
    """Every row the care ladder's and the referrals' cards show: two moves with their reasons, a referral
    in with a clearance still waiting on its acceptance, a clearance recorded on the chart, an exception and a
    referral out."""
    therapist = personas.therapist
    care_level_set(patient=busy_patient, level=CareLevel.EDUCATION, reason="Starts with reading", actor=therapist)
    care_level_set(patient=busy_patient, level=CareLevel.GROUP, reason="Ready for group", actor=therapist)
    inbound_receive(
        actor=personas.front_desk,
        patient=busy_patient,
        reason=REASON,
        received_on=clock.local_now().date() - dt.timedelta(days=2),
        clearance=clearance_pdf(),
        cleared_by="Dr. Lee",
        **PHYSICIAN,
    )
    clearance_record(actor=personas.front_desk, upload=clearance_pdf(), patient=busy_patient)
    clearance_exception_grant(actor=therapist, patient=busy_patient, reason="Physician on leave.")
    psychiatry_referral(personas)
    return busy_patient


def _card(page: str, heading_id: str) -> str:
    return page.split(f'id="{heading_id}"')[1].split("</section>")[0]


@pytest.mark.parametrize("path", ["/patients/{}/", "/notes/patients/{}/chart/"])
def test_the_care_ladder_and_referrals_cards_read_their_rows_in_one_query_each(
    personas, login, referred_and_placed, path
):
    client = login(personas.therapist)
    queries = _queries(client, path.format(referred_and_placed.pk))
    page = client.get(path.format(referred_and_placed.pk)).content.decode()

    assert _reading_any(queries, LADDER_TABLES) == 1, "\n".join(queries)
    assert _reading_any(queries, REFERRAL_TABLES) == 1, "\n".join(queries)
    ladder = _card(page, "care-level-h")
    assert "Group program" in ladder and "History of moves (2)" in ladder
    assert ladder.index("Ready for group") < ladder.index("Starts with reading")  # newest first
    assert ladder.count(personas.therapist.full_name) == 2
    referrals = _card(page, "referrals-card-h")
    assert "Clearance received" in referrals and f"by {personas.front_desk.full_name}" in referrals
    assert "cleared by Dr. Lee" in referrals and "counted once the referral is accepted" in referrals
    assert f"by {personas.therapist.full_name}</li>" in referrals  # the exception
    assert "Dr. Maya Chen" in referrals and "Dr. Sam Okafor" in referrals and "Psychiatrist" in referrals


def test_the_chart_reads_the_plans_problems_goals_and_interventions_in_one_query(personas, login, plan_and_flag):
    queries = _queries(login(personas.therapist), f"/notes/patients/{plan_and_flag.pk}/chart/")

    assert _reading_any(queries, PLAN_PART_TABLES) == 1, "\n".join(queries)
