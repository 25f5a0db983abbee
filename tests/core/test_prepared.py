"""A statement prepared once per connection answers as the same SQL sent as text, costs one query on every run, and
recovers from a failed run and from a new connection by preparing again."""

import datetime as dt
import os
import subprocess
import sys

import pghistory
import pytest
from django.conf import settings
from django.db import DataError, connection, transaction
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.accounts.navigation import _menu_of, _statement_for, navigation_for
from apps.core import clock, prepared
from apps.core.prepared import PreparedStatement, statements_prepared
from apps.scheduling.models import Appointment
from apps.scheduling.services import LOCK_RELATED
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

# A literal percent sign (doubled, as the ORM compiles one beside parameters) and two parameters.
SQL = "SELECT %s::int + %s::int, 'a%%b' LIKE 'a%%'"


def _run(statement, params) -> tuple[tuple, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        row = statement.fetchone(params)
    return row, [query["sql"] for query in captured.captured_queries]


def _held() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _plain(sql, params) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_the_first_run_prepares_and_executes_in_one_query_and_later_runs_only_execute():
    statement = PreparedStatement("default", SQL)
    first, first_sql = _run(statement, [2, 3])
    second, second_sql = _run(statement, [40, 2])
    assert (first, second) == ((5, True), (42, True)) == (_plain(SQL, [2, 3]), _plain(SQL, [40, 2]))
    assert len(first_sql) == len(second_sql) == 1
    assert first_sql[0].startswith(("PREPARE clinic_prepared_", "DEALLOCATE clinic_prepared_"))
    assert "PREPARE clinic_prepared_" in first_sql[0]
    assert second_sql[0].startswith("EXECUTE clinic_prepared_")
    assert second_sql[0].split("(")[0].split()[1] in _held()


def test_a_statement_without_parameters_runs_prepared_too():
    statement = PreparedStatement("default", "SELECT 'x%%' LIKE 'x%%'")
    assert statement.fetchone([]) == statement.fetchone(()) == (True,)


def test_a_failed_run_is_prepared_again_under_a_new_name():
    statement = PreparedStatement("default", "SELECT 10 / %s::int")
    with pytest.raises(DataError), transaction.atomic():
        statement.fetchone([0])
    (row, sql) = _run(statement, [5])
    assert row == (2,)
    assert "PREPARE clinic_prepared_" in sql[0]  # the failed run's preparation is in doubt: a name of its own
    with pytest.raises(DataError), transaction.atomic():
        statement.fetchone([0])  # fails on a connection that holds it
    (row, sql) = _run(statement, [2])
    assert row == (5,)
    assert "PREPARE clinic_prepared_" in sql[0]


@pytest.mark.django_db(transaction=True)  # a connection closes only outside a transaction
def test_a_new_connection_prepares_it_again():
    statement = PreparedStatement("default", SQL)
    statement.fetchone([1, 1])
    connection.close()  # the next query connects afresh
    row, sql = _run(statement, [1, 2])
    assert row == (3, True)
    assert "PREPARE clinic_prepared_" in sql[0]


def test_behind_a_transaction_pooler_the_statement_is_sent_as_text():
    statement = PreparedStatement("default", SQL)
    held = _held()
    pooled = {**connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS": True}
    with _settings_dict(pooled):
        row, sql = _run(statement, [1, 2])
    assert row == (3, True)
    assert sql == ["SELECT 1::int + 2::int, 'a%b' LIKE 'a%'"]
    assert _held() == held


def test_the_pooler_setting_turns_preparing_off_on_every_database():
    code = (
        "from django.conf import settings; "
        "print(sorted({d.get('DISABLE_SERVER_SIDE_CURSORS', False) for d in settings.DATABASES.values()}))"
    )
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings.test"}
    for pooled, expected in (("1", "[True]"), ("0", "[False]")):
        loaded = subprocess.run(
            [sys.executable, "-c", code],
            env={**environ, "DATABASE_TRANSACTION_POOLER": pooled},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert loaded.stdout.strip() == expected, loaded.stderr


@pytest.fixture
def past_session(db):
    return AppointmentFactory()


def _statements_held() -> dict[str, str]:
    """The statements this connection holds prepared, by name: the text that prepared each (the whole text sent with
    it) and the types of its parameters."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement || ' -- ' || parameter_types::text FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _locked_in_block(appointment_id: int, related=LOCK_RELATED) -> tuple[Appointment, list[str], dict[str, str]]:
    """The session locked in a block, the statements logged, and the statements the run left prepared anew."""
    held = _statements_held()
    with CaptureQueriesContext(connection) as captured, statements_prepared():
        locked = Appointment.objects.select_for_update(of=("self",)).select_related(*related).get(pk=appointment_id)
    fresh = {name: text for name, text in _statements_held().items() if name not in held}
    return locked, [query["sql"] for query in captured.captured_queries], fresh


def _same_rows(one: Appointment, other: Appointment, related: tuple) -> None:
    assert one.__dict__.keys() == other.__dict__.keys()
    for field in ("pk", "start", "status", "therapist_id", "patient_id", *related):
        assert getattr(one, field) == getattr(other, field)


def test_an_orm_query_in_a_block_runs_prepared_and_reads_as_the_text_does(past_session):
    related = ("series", "room", "location")  # a statement of this test's own: no connection holds it yet
    as_text = Appointment.objects.select_related(*related).get(pk=past_session.pk)
    first, first_sql, first_prepared = _locked_in_block(past_session.pk, related)
    again, again_sql, again_prepared = _locked_in_block(past_session.pk, related)
    [(name, statement)] = first_prepared.items()
    # (after any statement let go of to make room: `DEALLOCATE …; `)
    assert f"PREPARE {name}(integer) AS SELECT" in statement and "FOR UPDATE OF" in statement
    assert statement.endswith(" -- {integer}")
    assert again_prepared == {}  # executed by name
    # The log names the statement, as it would the statement sent as text.
    assert first_sql == again_sql
    assert first_sql[0].startswith('SELECT "scheduling_appointment"."id"') and "FOR UPDATE OF" in first_sql[0]
    _same_rows(first, as_text, related)
    _same_rows(again, as_text, related)
    with CaptureQueriesContext(connection) as related_reads:
        [getattr(again, name) for name in related]
    assert related_reads.captured_queries == []  # read with it, as select_related reads them


def test_parameters_read_back_as_the_text_reads_them(past_session):
    """A number, a truth value and a time keep their types where nothing around them gives one (a value selected,
    a time less an interval), as their literals do in the text; a string takes the type of where it stands."""
    now = clock.now()
    rows = (
        Appointment.objects.annotate(
            flag=Value(False), yes=Value(True), count=Value(3), big=Value(2**40), label=Value("a%b")
        )
        .filter(start__lte=now + dt.timedelta(days=3650) - dt.timedelta(minutes=1), start__year__gte=2000)
        .values_list("flag", "yes", "count", "big", "label")
    )
    as_text = list(rows)
    with statements_prepared():
        prepared = list(rows)
        again = list(rows)
    assert prepared == again == as_text == [(False, True, 3, 2**40, "a%b")]


def test_a_statement_without_parameters_in_a_block_is_sent_as_text_and_the_block_ends_with_it():
    with CaptureQueriesContext(connection) as captured:
        with statements_prepared(), connection.cursor() as cursor:
            cursor.execute("SELECT 'a%b' LIKE 'a%'")  # no parameters: its percent signs are literal
            assert cursor.fetchone() == (True,)
        assert _plain("SELECT %s::int", [7]) == (7,)  # after the block: as text
    assert [query["sql"] for query in captured.captured_queries] == ["SELECT 'a%b' LIKE 'a%'", "SELECT 7::int"]


def test_a_block_inside_the_row_historys_context_prepares_the_statement_before_the_context_prefixes_it(past_session):
    with pghistory.context(reason="test"):  # a statement of this test's own, so this connection does not hold it yet
        first, _, first_prepared = _locked_in_block(past_session.pk, related=("therapist", "patient"))
        again, _, again_prepared = _locked_in_block(past_session.pk, related=("therapist", "patient"))
    [statement] = first_prepared.values()
    # Sent after the context's prefix, prepared without it: the key is the statement's one parameter.
    assert (
        statement.startswith("SELECT set_config('pghistory.context_id'") and "; PREPARE clinic_prepared_" in statement
    )
    assert statement.endswith(" -- {integer}")
    assert again_prepared == {}
    _same_rows(first, again, ("therapist", "patient"))


def test_a_failed_statement_in_a_block_is_prepared_again_under_a_new_name():
    def divide(by: int) -> tuple:
        with statements_prepared(), connection.cursor() as cursor:
            cursor.execute("SELECT 10 / %s::int", [by])
            return cursor.fetchone()

    assert divide(5) == (2,)
    held = _statements_held()
    with pytest.raises(DataError), transaction.atomic():
        divide(0)  # fails on a connection that holds it
    assert divide(2) == (5,)
    fresh = [text for name, text in _statements_held().items() if name not in held]
    assert len(fresh) == 1 and "(integer) AS SELECT 10 / $1::int;" in fresh[0]


def test_a_connection_holds_at_most_the_limit_and_lets_go_of_the_one_run_longest_ago(monkeypatch):
    monkeypatch.setattr(prepared, "HELD_LIMIT", 3)

    def run(number: int) -> None:
        with statements_prepared(), connection.cursor() as cursor:
            cursor.execute(f"SELECT {number} + %s::int", [1])
            assert cursor.fetchone() == (number + 1,)

    for number in (101, 102, 103):
        run(number)
    run(101)  # run again: now the one run longest ago is 102
    run(104)
    mine = sorted(text.split(" AS ")[1].split(";")[0] for text in _statements_held().values() if "+ $1::int" in text)
    assert mine == ["SELECT 101 + $1::int", "SELECT 103 + $1::int", "SELECT 104 + $1::int"]
    with statements_prepared():  # a statement of its own run in a block, letting one go first: sent as it is
        assert PreparedStatement("default", "SELECT %s::int * 2").fetchone([4]) == (8,)


def test_behind_a_transaction_pooler_a_block_sends_its_statements_as_text(past_session):
    pooled = {**connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS": True}
    with _settings_dict(pooled):
        locked, sql, fresh = _locked_in_block(past_session.pk, related=("room",))
    assert sql[0].startswith("SELECT") and "FOR UPDATE OF" in sql[0]
    assert locked.pk == past_session.pk
    assert fresh == {}


def test_a_request_runs_its_statements_prepared_first_of_everything(personas, login):
    assert settings.MIDDLEWARE[0] == "apps.core.prepared.StatementsPreparedMiddleware"
    client = login(personas.front_desk)
    client.get("/schedule/")
    held = _statements_held()
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/schedule/").status_code == 200
    assert _statements_held() == held  # every statement with parameters executed by name
    session_read = captured.captured_queries[0]["sql"]
    assert session_read.startswith('SELECT "django_session"') and "EXECUTE" not in session_read
    assert any('FROM "django_session"' in text for text in held.values())


class _settings_dict:
    """The default connection's settings replaced for a block, as a deploy behind a pooler sets them."""

    def __init__(self, replaced: dict):
        self.replaced = replaced

    def __enter__(self):
        self.kept = connection.settings_dict
        connection.settings_dict = self.replaced

    def __exit__(self, *exc):
        connection.settings_dict = self.kept


@pytest.mark.parametrize("who", ["patient_user", "therapist", "front_desk", "admin"])
def test_the_menu_counts_run_prepared_are_those_of_its_statement_sent_as_text(personas, who):
    reader = User.objects.get(pk=getattr(personas, who).pk)
    statement = _statement_for(reader, _menu_of(reader))
    as_text = dict(zip(statement.names, _plain(statement.sql, statement.params_for(reader)), strict=True))
    assert statement.counts(reader) == as_text  # prepared on this connection
    assert statement.counts(reader) == as_text  # executed by name
    assert navigation_for(reader) == navigation_for(User.objects.get(pk=reader.pk))
