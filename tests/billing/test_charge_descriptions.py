"""A ledger line names the service by its name, as people know it; the billing code stays for the superbill (and the
API's `service_code`). Lines posted when descriptions carried the code read with the name too, without rewriting
the stored row."""

import datetime as dt

import pytest
import time_machine

from apps.billing.models import Charge
from apps.billing.selectors.ledger import ledger_lines, session_charges
from apps.core import clock
from apps.scheduling import services as scheduling
from tests.factories import AppointmentFactory

from .helpers import approved_assessment

pytestmark = pytest.mark.django_db

INDIVIDUAL = "Individual psychotherapy, 45 min"


@pytest.fixture
def appointment(personas, fee_config):
    with time_machine.travel("2026-03-02 09:00:00-05:00", tick=False):
        approved_assessment(personas.patient, household_size=4, income="49500")
    start = clock.local_datetime(dt.date(2026, 3, 10), dt.time(10, 0))
    return AppointmentFactory(
        patient=personas.patient, therapist=personas.therapist, service_type=fee_config["90834"], start=start
    )


@pytest.mark.parametrize(
    ("when", "outcome", "description"),
    [
        ("2026-03-10 11:00:00-04:00", "complete", INDIVIDUAL),
        ("2026-03-10 08:00:00-04:00", "cancel", f"Late cancellation fee ({INDIVIDUAL})"),
        ("2026-03-10 10:30:00-04:00", "no_show", f"No-show fee ({INDIVIDUAL})"),
    ],
)
def test_a_sessions_charge_names_the_service_not_its_code(appointment, personas, when, outcome, description):
    with time_machine.travel(when, tick=False):
        if outcome == "complete":
            scheduling.appointment_complete(appointment=appointment, actor=personas.therapist)
        elif outcome == "cancel":
            scheduling.appointment_cancel(appointment=appointment, actor=personas.patient_user)
        else:
            scheduling.appointment_no_show(appointment=appointment, actor=personas.front_desk)
    charge = Charge.objects.get(appointment=appointment)
    assert charge.description == description and "90834" not in charge.description


def _posted_with_the_code(appointment, kind: str, description: str) -> Charge:
    """A line as it was posted before descriptions named the service (the row is never rewritten)."""
    return Charge.objects.create(
        patient=appointment.patient,
        kind=kind,
        appointment=appointment,
        service_type=appointment.service_type,
        service_date=dt.date(2026, 3, 10),
        description=description,
        full_fee=100,
        amount=40,
        class_code="C",
        class_label="Class C",
        posted_at=clock.now(),
    )


def test_lines_posted_with_the_code_read_with_the_services_name(appointment, personas, login):
    _posted_with_the_code(appointment, "late_cancel", "Late cancellation fee (90834 session)")
    _posted_with_the_code(appointment, "session", f"{INDIVIDUAL} (90834)")
    read = f"Late cancellation fee ({INDIVIDUAL})"

    assert sorted(line.description for line in ledger_lines(patient=personas.patient)) == [INDIVIDUAL, read]
    assert sorted(what for what, _, _ in session_charges(user=personas.billing, appointment=appointment)) == [
        INDIVIDUAL,
        read,
    ]
    page = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    assert read in page and f"<td>{INDIVIDUAL}</td>" in page
    assert "90834 session" not in page and f"<td>{INDIVIDUAL} (90834)</td>" not in page
    rows = login(personas.billing, api=True).get("/api/charges/", {"patient": personas.patient.pk}).json()["results"]
    assert sorted(row["description"] for row in rows) == [INDIVIDUAL, read]
    assert {row["service_code"] for row in rows} == {"90834"}
    assert Charge.objects.filter(description="Late cancellation fee (90834 session)").exists()
