"""Staff pages ask the database a constant number of questions, however much history there is (no N+1).

Each page is opened twice on the tiny large-clinic dataset, once for a subject with little history and once
for one with the most, and must make the same number of queries both times."""

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.billing import pricing
from apps.billing.services.assessments import assessment_approve, assessment_submit
from apps.core import clock
from apps.notes.models import NoteTemplate
from apps.notes.services import note_create
from apps.patients.models import Patient
from apps.scheduling.models import ServiceType
from bench import seed_large
from bench.fixtures import DRAFT_CONTENT
from bench.large_clinic.seed import EMAIL_DOMAIN, marker_email
from tests.factories import AppointmentFactory
from tests.notes.test_sign_queries import SIGN_QUERIES

# The large-clinic loader is an owner-side tool, like migrate (docs/database-roles.md).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]


@pytest.fixture
def clinic():
    call_command(seed_large.Command(), scale=0.01, weeks=12, stdout=io.StringIO())


def _queries(client, path: str) -> int:
    """Queries of a page in the steady state: served once before, as every server process has (what is kept
    between requests, such as the locations' time zones, is kept by then), as the benchmark counts them."""
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured.captured_queries)


def _in_care():
    """Patients seen already and booked ahead, outside group programs, with `n` the sessions they have had: two of
    them differ only in how much history they have (an empty list may skip its related-rows query; that is not
    what is measured). Sessions booked ahead are left out of `n`: every open series is booked the same weeks
    ahead, so counting them would shrink the gap between a new patient and a long-standing one."""
    now = clock.now()
    seen = Patient.objects.filter(appointments__start__lt=now, session_notes__isnull=False).values("pk")
    booked = Patient.objects.filter(appointments__start__gt=now).values("pk")
    return (
        Patient.objects.filter(pk__in=seen)
        .filter(pk__in=booked, program_enrollments__isnull=True)
        .annotate(n=Count("appointments", filter=Q(appointments__start__lt=now)))
    )


def _on_the_sliding_scale(patient) -> None:
    """Approves an assessment for the patient unless one is in force today."""
    if pricing.assessment_in_force(patient=patient, on=clock.local_now().date()) is None:
        billing = User.objects.get(email=f"billing@{EMAIL_DOMAIN}")
        pending = assessment_submit(actor=billing, patient=patient, household_size=2, annual_income=Decimal(30000))
        assessment_approve(actor=billing, assessment=pending)


def _patients_by_history():
    """The patient in care with the fewest sessions and the one with the most, both on the sliding scale.

    On staff pages a fee class costs its class-table lookup and a shown income its access-log row. The dataset
    is laid out around the hour it is loaded at, so whether either subject holds an assessment changes with the
    clock; giving both one keeps them alike in kind at any hour."""
    ranked = list(_in_care().order_by("n", "pk").values_list("pk", "n"))
    assert ranked[0][1] * 3 < ranked[-1][1], "the dataset should hold short and long histories"
    short, long = Patient.objects.get(pk=ranked[0][0]), Patient.objects.get(pk=ranked[-1][0])
    for patient in (short, long):
        _on_the_sliding_scale(patient)
    return short, long


def _week(monday: dt.date) -> str:
    start = clock.local_datetime(monday, dt.time(0))
    return urlencode({"start": start.isoformat(), "end": (start + dt.timedelta(days=7)).isoformat()})


def test_the_week_calendar_costs_the_same_for_a_busy_week_and_an_empty_one(clinic, login):
    client = login(User.objects.get(email=marker_email()))
    monday = clock.local_now().date() - dt.timedelta(days=clock.local_now().weekday())
    busy = _queries(client, f"/schedule/events/?{_week(monday - dt.timedelta(weeks=1))}")
    empty = _queries(client, f"/schedule/events/?{_week(monday + dt.timedelta(weeks=60))}")
    assert busy == empty


def test_patient_search_costs_the_same_for_one_match_and_a_full_page(clinic, login):
    client = login(User.objects.get(email=marker_email()))
    one = Patient.objects.first()
    assert _queries(client, f"/patients/?q={one.chart_number}") == _queries(client, "/patients/?q=a")


@pytest.mark.parametrize(
    ("viewer", "path"),
    [
        ("therapist", "/patients/{}/"),
        ("therapist", "/notes/patients/{}/chart/"),
        ("billing", "/billing/patients/{}/"),
    ],
)
def test_a_patients_pages_cost_the_same_for_a_short_and_a_long_history(clinic, login, viewer, path):
    short, long = _patients_by_history()
    if viewer == "therapist":
        # One therapist treats both (their own primary patients).
        long.primary_therapist = short.primary_therapist
        long.save(update_fields=["primary_therapist"])
        user = short.primary_therapist
    else:
        user = User.objects.get(email=f"billing@{EMAIL_DOMAIN}")
    client = login(user)
    assert _queries(client, path.format(short.pk)) == _queries(client, path.format(long.pk))


def test_the_portal_dashboard_costs_the_same_for_a_short_and_a_long_history(clinic, login):
    with_accounts = _in_care().filter(user__isnull=False)
    short, long = with_accounts.order_by("n", "pk").first(), with_accounts.order_by("-n", "pk").first()
    assert short.n < long.n
    assert _queries(login(short.user), "/portal/") == _queries(login(long.user), "/portal/")


def _signing_queries(api, *, patient, days_ago: int) -> int:
    """Queries of signing the draft of a session the patient had `days_ago` days ago at 7 AM, before the clinic's
    day (clear of their seeded sessions), still booked: signing completes and charges it, as the benchmark's does."""
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(7))
    service = ServiceType.objects.get(code="90834")
    session = AppointmentFactory(
        therapist=patient.primary_therapist,
        patient=patient,
        service_type=service,
        start=start,
        end=start + dt.timedelta(minutes=service.duration_minutes),
    )
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    note = note_create(actor=patient.primary_therapist, appointment=session, template=template, content=DRAFT_CONTENT)
    with CaptureQueriesContext(connection) as captured:
        response = api.post(f"/api/notes/{note.pk}/sign/", {"attest": True}, format="json")
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_signing_a_note_costs_the_same_for_a_short_and_a_long_history(clinic, login):
    short, long = _patients_by_history()
    long.primary_therapist = short.primary_therapist
    long.save(update_fields=["primary_therapist"])
    api = login(short.primary_therapist, api=True)
    _signing_queries(api, patient=short, days_ago=4)  # what a server process keeps between requests is kept by now
    assert _signing_queries(api, patient=short, days_ago=2) == SIGN_QUERIES
    assert _signing_queries(api, patient=long, days_ago=3) == SIGN_QUERIES
