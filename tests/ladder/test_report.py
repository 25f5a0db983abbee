"""The ladder report on a constructed clinic: the numbers, the CSV matching the page, and its query count."""

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.ladder.models import CareLevel, PatientCareLevel
from apps.ladder.reports import ladder_report
from apps.ladder.services import care_level_set
from apps.programs.models import LectureFeeMode, ProgramKind, ProgramStage
from apps.programs.services.formation import program_call_off
from apps.programs.services.lecture_terms import lecture_service_type
from tests.programs.factories import ProgramFactory
from tests.programs.formation_helpers import proposed_program

pytestmark = pytest.mark.django_db


def _backdate(patient, days: int) -> None:
    """Put the patient's current level `days` local days back (the history rows stay as they were written)."""
    moment = clock.local_now() - dt.timedelta(days=days)
    PatientCareLevel.objects.filter(patient=patient).update(since=moment)


@pytest.fixture
def ladder(personas, make_patients):
    """Seven patients: two in education (10 and 30 days), one in a group (4 days), one in individual therapy, and
    three who reached maintenance: from education, from a group (twice), and from individual therapy."""
    actor = personas.admin
    education_a, education_b, group, individual, left_education, left_group, finished = make_patients(7)
    for patient, days in ((education_a, 10), (education_b, 30)):
        care_level_set(patient=patient, level=CareLevel.EDUCATION, reason="x", actor=actor)
        _backdate(patient, days)
    care_level_set(patient=group, level=CareLevel.GROUP, reason="x", actor=actor)
    _backdate(group, 4)
    care_level_set(patient=individual, level=CareLevel.INDIVIDUAL, reason="x", actor=actor)
    care_level_set(patient=left_education, level=CareLevel.EDUCATION, reason="x", actor=actor)
    care_level_set(patient=left_education, level=CareLevel.MAINTENANCE, reason="stopped coming", actor=actor)
    care_level_set(patient=left_group, level=CareLevel.GROUP, reason="x", actor=actor)
    care_level_set(patient=left_group, level=CareLevel.MAINTENANCE, reason="could not afford it", actor=actor)
    care_level_set(patient=left_group, level=CareLevel.GROUP, reason="back", actor=actor)
    care_level_set(patient=left_group, level=CareLevel.MAINTENANCE, reason="again", actor=actor)
    care_level_set(patient=finished, level=CareLevel.INDIVIDUAL, reason="x", actor=actor)
    care_level_set(patient=finished, level=CareLevel.MAINTENANCE, reason="done", actor=actor)
    return personas


def _tables(report) -> dict[str, list[list]]:
    return {table.title.split(",")[0]: table.rows for table in report.tables}


def test_the_report_counts_rungs_waits_and_people_who_left(ladder):
    today = clock.local_now().date()
    tables = _tables(ladder_report(start=today - dt.timedelta(days=7), end=today))

    # The personas' two patients are active and not placed.
    assert tables["People at each rung now"] == [
        ["Not placed yet", 2],
        ["Education", 2],
        ["Lecture series", 0],
        ["Group program", 1],
        ["Individual therapy", 1],
        ["Maintenance or discharged", 3],
    ]
    assert tables["Waiting for the next rung"] == [
        ["Education", 2, 20, 30],
        ["Lecture series", 0, "—", "—"],
        ["Group program", 1, 4, 4],
    ]
    # Counted once per person, and only from rungs below individual therapy.
    assert tables["Left without reaching the next rung"] == [
        ["Education", 1],
        ["Lecture series", 0],
        ["Group program", 1],
    ]


def test_only_people_who_left_within_the_dates_are_counted(ladder):
    today = clock.local_now().date()
    tables = _tables(ladder_report(start=today + dt.timedelta(days=1), end=today + dt.timedelta(days=2)))
    assert tables["Left without reaching the next rung"] == [
        ["Education", 0],
        ["Lecture series", 0],
        ["Group program", 0],
    ]


class _TableCells(HTMLParser):
    """The text of every report table's rows, as the page shows them."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_table = self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "ladder-report-table") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][-1] += data.strip()


def test_the_csv_holds_exactly_what_the_page_shows(ladder, login):
    client = login(ladder.admin)
    today = clock.local_now().date()
    query = f"?start={today - dt.timedelta(days=7)}&end={today}"

    page = client.get(f"/ladder/report/{query}")
    download = client.get(f"/ladder/report.csv{query}")

    parser = _TableCells()
    parser.feed(page.content.decode())
    csv_rows = [row for row in csv.reader(io.StringIO(download.content.decode())) if len(row) > 1]
    assert download["Content-Type"].startswith("text/csv")
    assert parser.rows == csv_rows
    assert ["Education", "2", "20", "30"] in csv_rows


def test_the_report_page_shows_a_labelled_chart(ladder, login):
    page = login(ladder.admin).get("/ladder/report/").content.decode()

    assert "<svg" in page
    assert "Education: 2" in page  # the chart's description, read out by screen readers
    assert ">People<" in page and ">Rung<" in page


@pytest.mark.parametrize("who", ["therapist", "front_desk", "billing", "patient_user"])
def test_only_admins_open_the_report(ladder, login, who):
    client = login(getattr(ladder, who))
    assert client.get("/ladder/report/").status_code == 403
    assert client.get("/ladder/report.csv").status_code == 403


def test_dates_in_the_wrong_order_answer_422_with_a_form_error(ladder, login):
    response = login(ladder.admin).get("/ladder/report/?start=2026-05-02&end=2026-05-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()


@pytest.mark.parametrize("path", ["/ladder/report/", "/ladder/report.csv"])
@pytest.mark.parametrize(("start", "end"), [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-01")])
def test_a_mistyped_year_answers_422_with_a_form_error(ladder, login, path, start, end):
    response = login(ladder.admin).get(path, {"start": start, "end": end})
    assert response.status_code == 422
    assert "Choose a date from" in response.content.decode()


def test_the_report_takes_the_same_queries_however_many_patients(
    ladder, login, make_patients, django_assert_max_num_queries
):
    client = login(ladder.admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/ladder/report/")
    for patient in make_patients(20):
        care_level_set(patient=patient, level=CareLevel.GROUP, reason="x", actor=ladder.admin)
    ProgramFactory.create_batch(5)

    # The session, the user and their groups, the menu, and one query per section of the report.
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/ladder/report/").status_code == 200
    assert len(few.captured_queries) <= 15  # the menu's counts include referrals and the work queue


def test_programs_proposed_launched_and_called_off_are_counted_per_kind(personas):
    today = clock.local_now().date()
    proposal = {"minimum_to_launch": 2, "capacity": 3}
    lecture = {"kind": ProgramKind.LECTURE, "service_type": lecture_service_type(), "fee_mode": LectureFeeMode.DONATION}
    ProgramFactory(kind=ProgramKind.GROUP)  # set up to run straight away
    ProgramFactory(
        kind=ProgramKind.GROUP, stage=ProgramStage.PROPOSED, decision_on=today + dt.timedelta(days=10), **proposal
    )
    ProgramFactory(
        **lecture,
        stage=ProgramStage.LAUNCHED,
        decision_on=today + dt.timedelta(days=3),
        launched_at=clock.now(),
        **proposal,
    )
    ProgramFactory(
        **lecture,
        stage=ProgramStage.NOT_LAUNCHED,
        decision_on=today - dt.timedelta(days=1),
        called_off_at=clock.now() - dt.timedelta(days=1),
        **proposal,
    )
    # Called off before the dates: proposed within them, but not counted as called off within them.
    ProgramFactory(
        **lecture,
        stage=ProgramStage.NOT_LAUNCHED,
        decision_on=today - dt.timedelta(days=30),
        called_off_at=clock.now() - dt.timedelta(days=30),
        **proposal,
    )

    tables = _tables(ladder_report(start=today - dt.timedelta(days=7), end=today))

    assert tables["Programs proposed and launched"] == [
        ["Group program", 1, 1, 0, 1],
        ["Lecture series", 3, 1, 1, 0],
    ]


def test_a_proposal_called_off_before_its_decision_date_counts_when_it_was_called_off(personas, login):
    """The programs list calls it "Did not launch" from the day it is called off; the report, over days that include
    that day, counts it so, though its decision date is still to come."""
    program = proposed_program(actor=personas.admin, title="Spring pain recovery group")
    assert program.decision_on > clock.local_now().date()
    program_call_off(program=program, reason="The facilitator left the clinic.", actor=personas.admin)
    today = clock.local_now().date()

    listed = login(personas.admin).get("/programs/").content.decode()
    reported = _tables(ladder_report(start=today - dt.timedelta(days=7), end=today))["Programs proposed and launched"]
    before = _tables(ladder_report(start=today - dt.timedelta(days=14), end=today - dt.timedelta(days=1)))

    assert 'Spring pain recovery group</a> <span class="badge">Did not launch</span>' in listed
    assert reported[0] == ["Group program", 1, 0, 1, 0]
    assert before["Programs proposed and launched"][0] == ["Group program", 0, 0, 0, 0]
