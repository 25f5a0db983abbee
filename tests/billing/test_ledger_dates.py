"""The account's dates read as every other page says a date ("November 28, 2026"), on the staff ledger and the
patient's billing page alike, both from the one ledger selector."""

import pytest

from apps.billing.selectors.ledger import ledger_lines
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record
from apps.core.when import day_text

from .helpers import past_appointment

pytestmark = pytest.mark.django_db


def test_the_ledger_and_the_portal_give_each_line_its_date_in_words(personas, login, fee_config):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="15")
    lines = ledger_lines(patient=personas.patient)
    assert len(lines) == 2

    desk = login(personas.front_desk).get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    portal = login(personas.patient_user).get("/portal/billing/").content.decode()

    for page in (desk, portal):
        for line in lines:
            assert f"<td>{day_text(line.date)}</td>" in page
