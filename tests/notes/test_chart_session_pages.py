"""The chart lists a patient's sessions 25 to a page, newest first, with how many there are in all; the page and the
count come from one query, every page costs the same queries, and an address's page number that is missing, not a
number or past the end still shows a page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.paging import PAGE_NUMBER_LIMIT, page_read
from apps.notes.selectors import CHART_SESSIONS_PER_PAGE
from apps.scheduling.models import Appointment

from .conftest import past_appointment_for

pytestmark = pytest.mark.django_db

SESSIONS = CHART_SESSIONS_PER_PAGE + 2


@pytest.fixture
def history(personas):
    """A session a day for the last 27 days, newest first."""
    return [past_appointment_for(personas.therapist, personas.patient, days_ago=n) for n in range(1, SESSIONS + 1)]


def _chart(client, patient, page=None):
    address = f"/notes/patients/{patient.pk}/chart/" + ("" if page is None else f"?page={page}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return response.context["sessions"], response.content.decode(), len(captured.captured_queries)


def _text(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))


def test_the_first_page_lists_the_newest_sessions_and_links_the_older_ones(personas, login, history):
    page, body, _ = _chart(login(personas.therapist), personas.patient)

    assert [s.pk for s in page] == [s.pk for s in history[:CHART_SESSIONS_PER_PAGE]]
    assert f"Sessions 1–25 of {SESSIONS}, newest first" in _text(body)
    assert '<a href="?page=2#sessions-h">Older sessions</a>' in body
    assert "Page 1 of 2" in body and "Newer sessions" not in body


def test_the_last_page_lists_the_oldest_sessions_and_links_back(personas, login, history):
    page, body, _ = _chart(login(personas.therapist), personas.patient, page=2)

    assert [s.pk for s in page] == [s.pk for s in history[CHART_SESSIONS_PER_PAGE:]]
    assert f"Sessions 26–27 of {SESSIONS}, newest first" in _text(body)
    assert '<a href="?page=1#sessions-h">Newer sessions</a>' in body and "Older sessions" not in body


def test_every_page_costs_the_queries_of_the_first(personas, login, history):
    client = login(personas.therapist)
    _chart(client, personas.patient)  # the first view fills the roles cache, as a user's first request does

    *_, first = _chart(client, personas.patient)
    *_, last = _chart(client, personas.patient, page=2)

    assert last == first


@pytest.mark.parametrize(("asked", "shown"), [("", 1), ("x", 1), ("0", 1), ("-3", 1), ("3", 2), ("9" * 40, 2)])
def test_a_page_number_that_is_missing_wrong_or_past_the_end_still_shows_a_page(personas, login, history, asked, shown):
    page, _body, _ = _chart(login(personas.therapist), personas.patient, page=asked)

    assert page.number == shown


@pytest.mark.parametrize(("count", "said"), [(1, "1 session"), (3, "3 sessions, newest first")])
def test_a_short_history_is_one_page_without_a_pager(personas, login, count, said):
    sessions = [past_appointment_for(personas.therapist, personas.patient, days_ago=n) for n in range(1, count + 1)]
    page, body, _ = _chart(login(personas.therapist), personas.patient)

    assert [s.pk for s in page] == [s.pk for s in sessions]
    assert f"Sessions and notes {said} " in _text(body) and 'aria-label="Pages"' not in body


def test_a_page_and_how_many_rows_there_are_come_from_one_query(history):
    sessions = Appointment.objects.order_by("-start", "-pk")

    with CaptureQueriesContext(connection) as captured:
        page = page_read(sessions, per_page=10, number="2")
        rows = list(page)

    assert len(captured.captured_queries) == 1
    assert [s.pk for s in rows] == [s.pk for s in history[10:20]]
    assert (page.paginator.count, page.paginator.num_pages, page.start_index()) == (SESSIONS, 3, 11)


def test_an_empty_list_is_one_empty_page_whatever_page_is_asked():
    for asked in (None, "1", "5", str(PAGE_NUMBER_LIMIT)):
        page = page_read(Appointment.objects.order_by("pk"), per_page=10, number=asked)
        assert (list(page), page.number, page.paginator.num_pages) == ([], 1, 1)
