"""A patient's address on one line, as the chart and the superbill print it: each part only when it is known."""

import datetime as dt

import pytest

from apps.billing.selectors.superbill import superbill
from apps.billing.services.diagnoses import billing_profile_set
from tests.billing.pdf_layout import laid_out
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("parts", "line"),
    [
        (
            {
                "address_line1": "12 Elm St",
                "address_line2": "Apt 2",
                "city": "Boston",
                "state": "MA",
                "postal_code": "02101",
            },
            "12 Elm St, Apt 2, Boston, MA 02101",
        ),
        ({"address_line1": "12 Elm St", "city": "Boston", "state": "MA"}, "12 Elm St, Boston, MA"),
        ({"city": "Boston", "postal_code": "02101"}, "Boston 02101"),
        ({}, ""),
    ],
)
def test_the_address_has_each_part_only_when_it_is_known(parts, line):
    blank = {"address_line1": "", "address_line2": "", "city": "", "state": "", "postal_code": ""}
    assert PatientFactory.build(**{**blank, **parts}).postal_address == line


def test_a_patient_with_no_address_reads_so_on_the_chart_and_the_superbill(personas, login):
    patient = personas.patient
    patient.address_line1 = patient.address_line2 = patient.city = patient.state = patient.postal_code = ""
    patient.save()
    billing_profile_set(actor=personas.billing, patient=patient, diagnosis_codes=["F45.41"])

    chart = login(personas.front_desk).get(f"/patients/{patient.pk}/").content.decode()
    bill = superbill(patient=patient, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    _pages, words = laid_out("billing/pdf/superbill.html", bill)

    assert "<dt>Address</dt><dd>—</dd>" in chart
    assert "Address Not on file" in " ".join(word.text for word in words)
