"""The benchmark's hand-written write floors run against the current schema: a column added to a table they
write (a NOT NULL one, say) breaks them here, not in the middle of `make bench`. A page's floor writes the PHI
access-log rows the page writes."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from apps.audit.models import AccessLog
from apps.core import clock
from apps.notes.models import ATTESTATION
from apps.scheduling.models import Appointment, AppointmentStatus
from bench import fixtures, floors, operations, seed_large

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]


@pytest.fixture
def clinic():
    call_command(seed_large.Command(), scale=0.01, weeks=12, stdout=io.StringIO())


def _run_rolled_back(sql: str, params: dict) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.rowcount
        transaction.set_rollback(True)
    return rows


def test_the_series_floor_books_twelve_sessions(clinic):
    session = Appointment.objects.filter(patient__isnull=False).order_by("pk").first()
    first_date = clock.local_now().date() + dt.timedelta(days=400)
    params = {
        "therapist": session.therapist_id,
        "patient": session.patient_id,
        "service_type": session.service_type_id,
        "room": session.room_id,
        "is_telehealth": session.is_telehealth,
        "first_date": first_date,
        "local_start_time": dt.time(7, 0),
        "tz": settings.TIME_ZONE,
    }
    assert _run_rolled_back(operations.SERIES_FLOOR, params) == 12


def test_the_note_signing_floor_signs_a_draft_and_charges_its_session(clinic):
    [(_, draft)] = fixtures.drafts(1)
    assert _run_rolled_back(operations.SIGN_FLOOR, {"note": draft, "attestation": ATTESTATION}) == 1


def test_every_note_the_run_signs_completes_and_charges_its_session(clinic):
    """The seeded unsigned queue's sessions are completed; the run signs drafts of sessions still booked, at every
    scale and in every run, as its floor does."""
    drafts = fixtures.drafts(3)
    sessions = Appointment.objects.filter(session_note__pk__in=[note for _, note in drafts])
    assert sorted(sessions.values_list("status", flat=True)) == [AppointmentStatus.BOOKED] * 3
    assert fixtures.drafts(3) == drafts  # a second ask reuses them while they are unsigned


def test_the_statement_floor_issues_a_month(clinic):
    today = clock.local_now().date()
    end = today.replace(day=1) - dt.timedelta(days=1)
    params = floors.statement_params(
        tz=settings.TIME_ZONE,
        start=end.replace(day=1),
        end=end,
        site="https://x",
        due_days=30,
        issued_at=clock.now(),  # the app's clock, which a shifted test run moves and the database server's does not
    )
    assert _run_rolled_back(floors.STATEMENTS, params) > 0


def test_each_operations_floor_writes_the_access_log_rows_its_request_writes(clinic):
    bench = SimpleNamespace(c1_count=3, write_counts=(2, 2), quick=True)
    logging = set()
    for operation in operations.all_operations(bench, wanted=lambda key: True):
        _, logged = operation.count_queries()
        assert logged == operation.floor_access_log_rows, operation.key
        if logged:
            logging.add(operation.key)
        if operation.c8_offset == 0:  # a read's floor commits its rows, as the page does
            before = AccessLog.objects.count()
            operation.floor_work(connection.connection, 0)
            assert AccessLog.objects.count() - before == logged, operation.key
        else:  # a write's floor runs the same statements in a transaction it rolls back
            operation.floor_work(connection.connection, 0)
    assert logging == {"patient_details", "chart", "note_sign"}
