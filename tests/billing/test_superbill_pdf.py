"""The superbill PDF fits the US-letter page: every column, each line's amounts and the totals are set inside the
printable width, however long the service names, the providers' credentials and the diagnosis pointers."""

import datetime as dt

import pytest
import time_machine

from apps.billing.selectors.superbill import superbill
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.diagnoses import billing_profile_set
from apps.core.money import money_text
from tests.factories import TherapistFactory

from .helpers import past_appointment
from .pdf_layout import laid_out, outside_the_printable_area, spilling_out_of_their_cells

pytestmark = pytest.mark.django_db

FEBRUARY = {"start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}
LETTER_WIDTH_PT = 612


@pytest.fixture
def crowded_february(personas, fee_config):
    """Eight sessions in February under a long service name, by a therapist with long credentials and by a
    pre-licensed one billed under their supervisor, in the office and by video, pointing at four diagnoses."""
    long_named = fee_config["90837"]
    long_named.name = "Individual psychotherapy, 60 min, with interactive complexity and a family member present"
    long_named.save()
    profile = personas.therapist.therapist_profile
    profile.credentials = "PhD, LICSW, LMHC, CGP, Certified Sarno-method TMS practitioner"
    profile.license_number = "LICSW-2026-00012345678"
    profile.save()
    trainee = TherapistFactory(email="trainee@example.test", first_name="Maximiliana", last_name="Featherstonehaugh")
    trainee.therapist_profile.is_prelicensed = True
    trainee.therapist_profile.supervisor = personas.therapist
    trainee.therapist_profile.save()
    with time_machine.travel("2026-02-27 12:00:00-05:00", tick=False):
        for days_ago in (24, 20, 17, 13, 10, 6, 3, 1):
            appointment = past_appointment(
                personas.patient,
                service_type=long_named if days_ago % 2 else fee_config["90834"],
                days_ago=days_ago,
                therapist=trainee if days_ago in (13, 6) else personas.therapist,
                **({"is_telehealth": True, "room": None} if days_ago in (17, 3) else {}),
            )
            charge_for_appointment_outcome(appointment=appointment, actor=None)
    codes = ["F45.41", "M54.50", "F41.1", "F32.0", "G44.209", "K58.9"]
    billing_profile_set(actor=personas.billing, patient=personas.patient, diagnosis_codes=codes)
    return personas.patient


def test_every_column_and_amount_of_the_superbill_lies_within_the_letter_page(crowded_february):
    bill = superbill(patient=crowded_february, **FEBRUARY)
    assert len(bill["lines"]) == 8 and {line["diagnosis_pointers"] for line in bill["lines"]} == {"ABCD"}

    pages, words = laid_out("billing/pdf/superbill.html", bill)

    assert {page.width for page in pages} == {LETTER_WIDTH_PT}
    assert outside_the_printable_area(pages, words) == []
    assert spilling_out_of_their_cells(words) == []
    text = " ".join(word.text for word in words)
    amounts = [line["amount"] for line in bill["lines"]] + [bill["total_charged"], bill["total_paid"]]
    for amount in amounts:
        assert money_text(amount) in text
    assert "Charged" in text and "Paid" in text
