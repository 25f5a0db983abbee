"""Reports come from a real streaming replica while writes go to the primary.

Runs under `make test-replica`, which starts a replica of the local cluster (scripts/replica.sh) and sets
CLINIC_REPLICA_DATABASE_URL. Pausing the replica's replay proves where each read came from: a charge written after
the pause is on the primary only, so the report does not show it until replay resumes, while a payment taken
meanwhile (which reads the balance inside its transaction) sees it."""

import os
import time
from decimal import Decimal

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from apps.billing.models import Payment
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.core.replica import REPLICA, replica_reads
from tests.factories import PatientFactory, TherapistFactory

from .helpers import past_appointment

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]


def _superuser_dsn(settings_dict: dict) -> str:
    return f"host={settings_dict['HOST']} port={settings_dict['PORT']} user=postgres dbname=postgres"


@pytest.fixture
def replica(django_db_setup):
    """The replica alias on the replica's copy of the test database (Django's test mirror points it at the
    primary), and a superuser connection to the replica to pause and resume its replay."""
    if REPLICA not in settings.DATABASES:
        pytest.fail("No replica configured: run `make test-replica` (it starts scripts/replica.sh).")
    configured = dj_database_url.parse(os.environ["CLINIC_REPLICA_DATABASE_URL"])
    primary = connections["default"].settings_dict
    connections[REPLICA].close()
    connections[REPLICA].settings_dict = {**primary, "HOST": configured["HOST"], "PORT": configured["PORT"]}
    control = psycopg.connect(_superuser_dsn(connections[REPLICA].settings_dict), autocommit=True)
    try:
        yield control
    finally:
        control.execute("SELECT pg_wal_replay_resume()")
        control.close()
        connections[REPLICA].close()


def _caught_up(control) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with psycopg.connect(_superuser_dsn(connections["default"].settings_dict), autocommit=True) as primary:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        behind = control.execute("SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn()) > 0", [target]).fetchone()[0]
        if not behind:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up with the primary within 30 s")


def _charge(patient_name: str, fee_config):
    patient = PatientFactory(legal_last_name=patient_name, primary_therapist=TherapistFactory())
    charge = charge_for_appointment_outcome(
        appointment=past_appointment(patient, service_type=fee_config["90834"], days_ago=40), actor=None
    )
    return patient, charge


def test_the_aging_report_is_read_from_the_replica_and_a_payment_meanwhile_from_the_primary(
    replica, personas, fee_config, login
):
    _charge("Replicated", fee_config)
    client = login(personas.billing)
    _caught_up(replica)
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")

    late_patient, late_charge = _charge("Primaryonly", fee_config)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        page = client.get("/billing/reports/aging/").content.decode()
    assert "Replicated" in page
    assert "Primaryonly" not in page, "the report saw a charge the paused replica has not replayed"
    assert any("billing_charge" in query["sql"] for query in on_replica.captured_queries)
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)

    # Inside a report block, a service's transaction still reads and writes the primary: the balance it checks
    # includes the charge the replica has not seen, and the payment lands.
    with replica_reads():
        payment = payment_record(actor=personas.billing, patient=late_patient, method="cash", amount=late_charge.amount)
    assert Payment.objects.using("default").get(pk=payment.pk).amount == late_charge.amount > Decimal("0")

    replica.execute("SELECT pg_wal_replay_resume()")
    _caught_up(replica)
    page = client.get("/billing/reports/aging/").content.decode()
    assert "Replicated" in page
    assert "Primaryonly" not in page, "paid in full, the late charge is owed no more"


def test_the_ladder_report_csv_is_read_from_the_replica(replica, personas, login):
    client = login(personas.admin)
    _caught_up(replica)
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/ladder/report.csv")
    assert response.status_code == 200
    assert on_replica.captured_queries, "the CSV export read nothing from the replica"
    # The primary answers only the session and the signed-in user, which must be current on every web server.
    assert all("ladder_" not in query["sql"] for query in on_primary.captured_queries)
