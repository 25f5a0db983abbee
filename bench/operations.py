"""The measured operations: the request each one sends, who sends it, and the hand-written SQL floor that
fetches (or writes) the same rows, with the PHI access-log rows the request writes. Needs Django set up against
the benchmark database."""

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.audit.models import AccessLog
from apps.core import clock
from apps.notes.models import ATTESTATION, SessionNote

from . import fixtures, floors, page_floors
from .framework import PATHS as FRAMEWORK_PATHS
from .load import Request


@dataclass
class Operation:
    key: str
    label: str
    describe: str
    requests: Callable[[int], Request | None]  # the i-th request; None when a write operation has run out
    floor_work: Callable[[psycopg.Connection, int], None]
    framework: str  # the kind of request, whose empty answer is its framework floor (bench/framework.py)
    c1_count: int
    c8_max: int
    pgbench: tuple[str | list[str], dict] | None = None
    c8_offset: int = 0  # writes: concurrency 8 uses the requests after the first c1_count
    sample: Request | None = None  # a spare request for counting queries (writes: one not used by the runs)
    access_log: floors.AccessLogRows | None = None  # the access-log rows the i-th request writes (its floor too)

    def c1_request(self, i: int) -> Request | None:
        return self.requests(i)

    def c8_request(self, i: int) -> Request | None:
        return self.requests(self.c8_offset + i)

    def framework_request(self) -> Request:
        """The empty request of this operation's kind, sent as this operation's requests are (same user, same
        method and headers) to the framework floor's server."""
        like = self.sample or self.requests(0)
        body = like.body if like.method == "POST" else None
        return Request(like.method, FRAMEWORK_PATHS[self.framework], like.headers, body)

    @property
    def floor_access_log_rows(self) -> int:
        return len(self.access_log(0)) if self.access_log else 0

    def count_queries(self) -> tuple[int, int]:
        """Queries the request makes and the access-log rows it writes, counted in-process with Django's test
        client on the same database. A read is sent once before it is counted, as every server process has
        served it before the clock runs (what is kept between requests is kept by then)."""
        request = self.sample or self.requests(0)
        client = Client(SERVER_NAME="127.0.0.1")
        cookie = SimpleCookie(request.headers.get("Cookie", ""))
        for name, morsel in cookie.items():
            client.cookies[name] = morsel.value
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items() if k != "Cookie"}

        def send():
            response = client.generic(
                request.method, request.path, data=request.body or "", content_type="application/json", **extra
            )
            if response.status_code not in request.expect:
                raise RuntimeError(
                    f"{request.path} answered {response.status_code} in-process: {response.content[:300]!r}"
                )

        if self.c8_offset == 0 and self.sample is None:
            send()
        logged_before = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with CaptureQueriesContext(connection) as captured:
            send()
        return len(captured.captured_queries), AccessLog.objects.filter(pk__gt=logged_before).count()


def _cycle(items: list) -> Callable[[int], object]:
    return lambda i: items[i % len(items)]


def _sessions(users) -> dict[int, fixtures.Session]:
    return {user.pk: fixtures.Session(user) for user in users}


def all_operations(bench, *, wanted: Callable[[str], bool]) -> list[Operation]:
    """The operations to measure, each prepared only if it is wanted (preparing writes uses up targets)."""
    makers = [
        calendar_week,
        patient_search,
        patient_details,
        chart,
        series_book,
        note_sign,
        portal_dashboard,
        fee_quote,
    ]
    return [make(bench) for make in makers if wanted(make.__name__)]


def calendar_week(bench) -> Operation:
    desk = fixtures.Session(fixtures.front_desk())
    weeks = fixtures.calendar_weeks()
    week = _cycle(weeks)

    def request(i: int) -> Request:
        start, end = week(i)
        return Request("GET", "/schedule/events/?" + urlencode({"start": start, "end": end}), desk.headers())

    return Operation(
        key="calendar_week",
        label="Staff week calendar (all therapists)",
        describe="GET /schedule/events/?start=<monday>&end=<next monday> as front desk, weeks around today",
        requests=request,
        floor_work=floors.query(floors.CALENDAR_WEEK, lambda i: dict(zip(("start", "end"), week(i), strict=True))),
        framework="staff_json",
        c1_count=bench.c1_count,
        c8_max=100_000,
        pgbench=(floors.CALENDAR_WEEK, dict(zip(("start", "end"), weeks[len(weeks) // 2], strict=True))),
    )


def patient_search(bench) -> Operation:
    desk = fixtures.Session(fixtures.front_desk())
    terms = _cycle(fixtures.search_terms())

    def params(i: int) -> dict:
        return {"like": f"%{terms(i)}%", "term": terms(i)}

    return Operation(
        key="patient_search",
        label="Patient search",
        describe="GET /patients/?q=<surname or prefix> as front desk (first page of 50)",
        requests=lambda i: Request("GET", "/patients/?" + urlencode({"q": terms(i)}), desk.headers()),
        floor_work=floors.query(floors.PATIENT_SEARCH, params),
        framework="staff_page",
        c1_count=bench.c1_count,
        c8_max=100_000,
        pgbench=(floors.PATIENT_SEARCH, params(0)),
    )


def _chart_requests(
    path: str, action: str
) -> tuple[Callable[[int], Request], Callable[[int], dict], floors.AccessLogRows]:
    """Requests for a patient's page, the floor query's parameters and the access-log row the page writes."""
    targets = fixtures.chart_targets()
    sessions = _sessions(User.objects.filter(pk__in={t for t, _ in targets}))
    target = _cycle(targets)

    def request(i: int) -> Request:
        therapist_id, patient_id = target(i)
        return Request("GET", path.format(patient_id), sessions[therapist_id].headers())

    def access_log(i: int) -> list[dict]:
        therapist_id, patient_id = target(i)
        return [
            floors.access_log_row(
                actor=therapist_id,
                action=action,
                subject_type="patients.patient",
                subject_id=patient_id,
                patient=patient_id,
                path=path.format(patient_id),
            )
        ]

    return (
        request,
        lambda i: {"patient": target(i)[1], "therapist": target(i)[0], **page_floors.clock_params()},
        access_log,
    )


def chart(bench) -> Operation:
    request, params, access_log = _chart_requests("/notes/patients/{}/chart/", "clinical_chart_view")
    return Operation(
        key="chart",
        label="Patient chart page (sessions, notes, measures)",
        describe="GET /notes/patients/<id>/chart/ as the treating therapist, patients in care with long histories",
        requests=request,
        floor_work=floors.query(page_floors.CHART, params, access_log=access_log),
        framework="staff_page",
        c1_count=bench.c1_count,
        c8_max=100_000,
        pgbench=([page_floors.CHART, floors.ACCESS_LOG], {**access_log(0)[0], **params(0)}),
        access_log=access_log,
    )


def patient_details(bench) -> Operation:
    request, params, access_log = _chart_requests("/patients/{}/", "chart_view")
    return Operation(
        key="patient_details",
        label="Patient details page",
        describe="GET /patients/<id>/ as the treating therapist",
        requests=request,
        floor_work=floors.query(page_floors.DETAILS, params, access_log=access_log),
        framework="staff_page",
        c1_count=bench.c1_count,
        c8_max=100_000,
        pgbench=([page_floors.DETAILS, floors.ACCESS_LOG], {**access_log(0)[0], **params(0)}),
        access_log=access_log,
    )


# The session's location is its room's, else the main one (the bench books no telehealth at another office).
SERIES_FLOOR = """
WITH place AS (
    SELECT COALESCE((SELECT location_id FROM scheduling_room WHERE id = %(room)s),
                    (SELECT id FROM scheduling_location WHERE is_main)) AS id),
series AS (
    INSERT INTO scheduling_appointmentseries (therapist_id, patient_id, service_type_id, location_id, room_id,
        is_telehealth, weekday, local_start_time, interval_weeks, first_date, occurrence_count, booked_through,
        status, cap_override_reason, override_reason, created_by_id, created_at, updated_at)
    SELECT %(therapist)s, %(patient)s, %(service_type)s, place.id, %(room)s, %(is_telehealth)s,
        extract(isodow FROM %(first_date)s::date) - 1, %(local_start_time)s::time, 1, %(first_date)s::date, 12,
        %(first_date)s::date + 77, 'active', '', '', %(therapist)s, now(), now()
      FROM place
    RETURNING id, location_id)
INSERT INTO scheduling_appointment (therapist_id, patient_id, location_id, room_id, service_type_id, series_id,
    start, "end", is_telehealth, telehealth_url, status, cancellation_reason, override_reason, created_by_id,
    created_at, updated_at)
SELECT %(therapist)s, %(patient)s, series.location_id, %(room)s, %(service_type)s, series.id,
       ((%(first_date)s::date + 7 * k) + %(local_start_time)s::time) AT TIME ZONE %(tz)s,
       ((%(first_date)s::date + 7 * k) + %(local_start_time)s::time + interval '45 minutes') AT TIME ZONE %(tz)s,
       %(is_telehealth)s, '', 'booked', '', '', %(therapist)s, now(), now()
  FROM series, generate_series(0, 11) AS k"""


# Write floors reuse the first rows, one per floor connection, so concurrent floor transactions never wait
# on each other's rows (each rolls back, so the rows stay free for the measured requests).
FLOOR_ROWS = 8


def series_book(bench) -> Operation:
    first, second = bench.write_counts
    payloads = fixtures.series_payloads(first + second + 1)
    desk = fixtures.Session(fixtures.front_desk())
    tz = str(clock.clinic_tz())

    def request(i: int) -> Request | None:
        if i >= len(payloads) - 1:
            return None
        body = json.dumps(payloads[i]).encode()
        headers = desk.headers(**{"Content-Type": "application/json"})
        return Request("POST", "/api/appointment-series/", headers, body, expect=(201,))

    sample = Request(
        "POST",
        "/api/appointment-series/",
        desk.headers(**{"Content-Type": "application/json"}),
        json.dumps(payloads[-1]).encode(),
        expect=(201,),
    )
    return Operation(
        key="series_book",
        label="Book a 12-week series",
        describe="POST /api/appointment-series/ (12 weekly sessions, conflict-checked) as front desk",
        requests=request,
        floor_work=floors.rolled_back(SERIES_FLOOR, lambda i: {**payloads[i % FLOOR_ROWS], "tz": tz}),
        framework="api",
        c1_count=first,
        c8_max=second,
        c8_offset=first,
        sample=sample,
    )


SIGN_FLOOR = """
WITH note AS (
    SELECT n.id, n.author_id, n.appointment_id, n.patient_id FROM notes_sessionnote n WHERE n.id = %(note)s FOR UPDATE),
appointment AS (
    UPDATE scheduling_appointment a SET status = 'completed', completed_at = now(), updated_at = now()
      FROM note WHERE a.id = note.appointment_id RETURNING a.id, a.service_type_id, a.therapist_id, a.start),
signed AS (
    UPDATE notes_sessionnote n SET status = 'signed', signed_at = now(), signed_by_id = note.author_id,
           attestation = %(attestation)s, attested_at = now(), updated_at = now()
      FROM note WHERE n.id = note.id RETURNING n.id)
INSERT INTO billing_charge (patient_id, kind, appointment_id, service_type_id, therapist_id, service_date,
    description, full_fee, amount, class_code, class_label, posted_at)
SELECT note.patient_id, 'session', appointment.id, appointment.service_type_id, appointment.therapist_id,
       appointment.start::date, 'Individual psychotherapy', 200, 200, 'FULL', 'Full fee', now()
  FROM note, appointment, signed
ON CONFLICT DO NOTHING"""


def note_sign(bench) -> Operation:
    first, second = bench.write_counts
    drafts = fixtures.drafts(first + second + 1)
    sessions = _sessions(User.objects.filter(pk__in={author for author, _ in drafts}))
    patient_of = dict(SessionNote.objects.filter(pk__in=[n for _, n in drafts]).values_list("pk", "patient_id"))

    def access_log(i: int) -> list[dict]:
        # Signing opens the note the way reading it does: one note_view row.
        author_id, note_id = drafts[i]
        return [
            floors.access_log_row(
                actor=author_id,
                action="note_view",
                subject_type="notes.sessionnote",
                subject_id=note_id,
                patient=patient_of[note_id],
                path=f"/api/notes/{note_id}/sign/",
            )
        ]

    def request_for(author_id: int, note_id: int) -> Request:
        headers = sessions[author_id].headers(**{"Content-Type": "application/json"})
        return Request("POST", f"/api/notes/{note_id}/sign/", headers, json.dumps({"attest": True}).encode())

    return Operation(
        key="note_sign",
        label="Sign a session note",
        describe="POST /api/notes/<id>/sign/ as the author (locks the note, completes and charges the session)",
        requests=lambda i: request_for(*drafts[i]) if i < len(drafts) - 1 else None,
        floor_work=floors.rolled_back(
            SIGN_FLOOR,
            lambda i: {"note": drafts[i % FLOOR_ROWS][1], "attestation": ATTESTATION},
            access_log=lambda i: access_log(i % FLOOR_ROWS),
        ),
        framework="api",
        c1_count=first,
        c8_max=second,
        c8_offset=first,
        sample=request_for(*drafts[-1]),
        access_log=access_log,
    )


def portal_dashboard(bench) -> Operation:
    patients = fixtures.portal_patients()
    sessions = [fixtures.Session(user) for user in patients]
    patient_ids = dict(User.objects.filter(pk__in=[u.pk for u in patients]).values_list("pk", "patient__pk"))
    session = _cycle(sessions)

    def portal_params(signed_in: fixtures.Session) -> dict:
        return {"patient": patient_ids[signed_in.user.pk], **page_floors.clock_params()}

    return Operation(
        key="portal_dashboard",
        label="Patient portal dashboard",
        describe="GET /portal/ as a patient with sessions booked ahead",
        requests=lambda i: Request("GET", "/portal/", session(i).headers()),
        floor_work=floors.query(page_floors.PORTAL, lambda i: portal_params(session(i))),
        framework="portal_page",
        c1_count=bench.c1_count,
        c8_max=100_000,
        pgbench=(page_floors.PORTAL, portal_params(sessions[0])),
    )


def fee_quote(bench) -> Operation:
    households = list(itertools.product((1, 2, 3, 4, 5), (12_000, 24_500, 38_000, 61_000, 150_000)))
    household = _cycle(households)

    def request(i: int) -> Request:
        size, income = household(i)
        query = urlencode({"household_size": size, "annual_income": income})
        return Request("GET", f"/api/sliding-scale/quote?{query}")

    return Operation(
        key="fee_quote",
        label="Fee quote (public)",
        describe="GET /api/sliding-scale/quote?household_size=..&annual_income=.. (no sign-in)",
        requests=request,
        floor_work=floors.query(floors.FEE_QUOTE, lambda i: {}),
        framework="public_api",
        c1_count=bench.c1_count,
        c8_max=100_000,
        pgbench=(floors.FEE_QUOTE, {}),
    )
