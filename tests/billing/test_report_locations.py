"""The sliding-scale (revenue) report filters by location, on the page and in its CSV, which read the same
selector and so always agree."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine

from apps.billing.selectors.reports import sliding_scale_report
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.scheduling.models import Location
from tests.factories import PatientFactory
from tests.places import pacific_office, pacific_room

from .helpers import approved_assessment, past_appointment

pytestmark = pytest.mark.django_db

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def offices(personas, fee_config):
    """In March: two reduced-fee sessions at the main office for the patient, one full-fee session in Pasadena for
    the other patient and one reduced-fee session there for a third."""
    pasadena = pacific_office()
    room = pacific_room(pasadena)
    third = PatientFactory(primary_therapist=personas.therapist)
    with time_machine.travel("2026-03-09 12:00:00-04:00", tick=False):
        approved_assessment(personas.patient, household_size=1, income="10000")
        approved_assessment(third, household_size=1, income="10000")
        sessions = [
            past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=1),
            past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2),
            past_appointment(
                personas.other_patient, service_type=fee_config["90834"], days_ago=1, location=pasadena, room=room
            ),
            past_appointment(third, service_type=fee_config["90834"], days_ago=3, location=pasadena, room=room),
        ]
        for appointment in sessions:
            charge_for_appointment_outcome(appointment=appointment, actor=None)
    return {"main": Location.main(), "pasadena": pasadena}


def test_the_report_counts_only_the_charges_of_sessions_at_the_chosen_location(offices):
    period = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}
    everywhere = sliding_scale_report(**period)
    pasadena = sliding_scale_report(**period, location=offices["pasadena"])
    main = sliding_scale_report(**period, location=offices["main"])

    assert sum(r["charges"] for r in everywhere["by_class"]) == 4
    assert {r["class_code"]: r["charges"] for r in pasadena["by_class"]} == {"A": 1, "FULL": 1}
    assert {r["class_code"]: r["charges"] for r in main["by_class"]} == {"A": 2}
    assert main["total_discount"] + pasadena["total_discount"] == everywhere["total_discount"] > Decimal(0)


def test_the_locations_and_the_package_sales_add_up_to_the_whole(offices, offering, personas, login):
    """A package sold is charged for no session, so at no location: the report over every location lists it on a
    line of its own, and the lines add up to the total, each location's as its own report says."""
    from apps.billing.services.packages import package_purchase

    with time_machine.travel("2026-03-10 12:00:00-04:00", tick=False):
        package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    period = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}
    everywhere = sliding_scale_report(**period)
    lines = {row["location_name"]: row["discount"] for row in everywhere["by_location"]}
    assert set(lines) == {offices["main"].name, offices["pasadena"].name, "Not at a location: package sales"}
    assert lines["Not at a location: package sales"] > Decimal(0)
    assert sum(lines.values()) == everywhere["total_discount"]
    for name in ("main", "pasadena"):
        assert lines[offices[name].name] == sliding_scale_report(**period, location=offices[name])["total_discount"]
    client = login(personas.billing)
    page = client.get("/billing/reports/sliding-scale/", MARCH).content.decode()
    assert "By location" in page and "Not at a location: package sales" in page
    tables = _csv_tables(client.get("/billing/reports/sliding-scale.csv", MARCH).content.decode())
    assert [row[0] for row in tables["By location"]] == list(lines)


def _page_rows(html: str) -> list[list[str]]:
    """The page's by-class table as text cells, amounts without the currency sign."""
    table = html.split("<h2>By class</h2>")[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", table)
    return [[cell.replace("$", "").replace(",", "") for cell in row.split("</td><td>")] for row in rows]


def _csv_tables(body: str) -> dict[str, list[list[str]]]:
    tables, title = {}, None
    for row in csv.reader(io.StringIO(body)):
        if not row:
            title = None
        elif title is None:
            title = row[0]
            tables[title] = []
        else:
            tables[title].append(row)
    return {name: rows[1:] for name, rows in tables.items()}  # without the header rows


def test_the_page_and_its_csv_agree_for_a_location(offices, personas, login):
    client = login(personas.billing)
    query = {**MARCH, "location": offices["pasadena"].pk}

    page = client.get("/billing/reports/sliding-scale/", query)
    export = client.get("/billing/reports/sliding-scale.csv", query)

    assert page.status_code == export.status_code == 200
    html = page.content.decode()
    assert "at Pasadena office" in html and f"location={offices['pasadena'].pk}" in html  # the CSV link keeps it
    assert export["Content-Type"].startswith("text/csv")
    tables = _csv_tables(export.content.decode())
    assert _page_rows(html) == tables["By class"]
    assert len(tables["By class"]) == 2 and len(tables["By therapist"]) == 2


def test_an_unknown_location_is_refused_with_a_message(offices, personas, login):
    client = login(personas.billing)
    for path in ("/billing/reports/sliding-scale/", "/billing/reports/sliding-scale.csv"):
        response = client.get(path, {**MARCH, "location": 999999})
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("billing", 200), ("admin", 200), ("front_desk", 403), ("therapist", 403)]
)
def test_only_the_billing_office_downloads_the_report(offices, personas, login, persona, status):
    response = login(getattr(personas, persona)).get("/billing/reports/sliding-scale.csv", MARCH)
    assert response.status_code == status


def test_the_csv_says_its_period_and_location_in_the_file(offices, personas, login):
    """A downloaded file renamed or opened later still says what it covers, not only its filename."""
    client = login(personas.billing)
    rows = list(csv.reader(io.StringIO(client.get("/billing/reports/sliding-scale.csv", MARCH).content.decode())))
    assert rows[:4] == [["Sliding-scale report"], ["From", "2026-03-01"], ["To", "2026-03-31"], ["Location", "All"]]
    query = {**MARCH, "location": offices["pasadena"].pk}
    rows = list(csv.reader(io.StringIO(client.get("/billing/reports/sliding-scale.csv", query).content.decode())))
    assert rows[3] == ["Location", "Pasadena office"]
    assert set(_csv_tables(client.get("/billing/reports/sliding-scale.csv", MARCH).content.decode())) == {
        "Sliding-scale report",
        "By class",
        "By therapist",
        "By location",
    }
