"""Floors: what the same work costs with nothing in between. The same rows fetched by one hand-written SQL
query through psycopg (and pgbench at the same concurrency), the same writes done by hand in one transaction
(a page's PHI access-log row included), and raw SMTP sends to the same server."""

import multiprocessing
import os
import re
import smtplib
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from .stats import Latency, latency_of, rate

ACTIVE = "('booked', 'checked_in', 'completed', 'no_show')"
# The same session settings as the app's connections (clinic/settings/base.py), so floor and app plan alike.
SESSION_OPTIONS = "-c jit=off"

# Every session of the week, cancelled ones too (the grid shows them faded), with a late cancel's fee.
CALENDAR_WEEK = """
SELECT a.id, a.start, a."end", a.status, a.is_telehealth, a.therapist_id, u.first_name, u.last_name,
       p.preferred_name, p.legal_first_name, p.legal_last_name, r.name, s.name,
       CASE WHEN a.status = 'late_cancelled' THEN (SELECT sum(c.amount) FROM billing_charge c
         WHERE c.appointment_id = a.id AND c.kind = 'late_cancel') END AS fee
  FROM scheduling_appointment a
  JOIN accounts_user u ON u.id = a.therapist_id
  LEFT JOIN patients_patient p ON p.id = a.patient_id
  LEFT JOIN scheduling_room r ON r.id = a.room_id
  JOIN scheduling_servicetype s ON s.id = a.service_type_id
 WHERE tstzrange(a.start, a."end", '[)') && tstzrange(%(start)s, %(end)s, '[)')
 ORDER BY a.start, a.id"""

PATIENT_SEARCH = """
SELECT p.id, p.chart_number, p.legal_first_name, p.legal_last_name, p.preferred_name, p.date_of_birth, p.email,
       p.phone, p.status, u.first_name, u.last_name, count(*) OVER () AS total
  FROM patients_patient p LEFT JOIN accounts_user u ON u.id = p.primary_therapist_id
 WHERE p.legal_first_name ILIKE %(like)s OR p.legal_last_name ILIKE %(like)s OR p.preferred_name ILIKE %(like)s
       OR p.email ILIKE %(like)s OR p.phone ILIKE %(like)s OR upper(p.chart_number) = upper(%(term)s)
 ORDER BY p.legal_last_name, p.legal_first_name LIMIT 50"""

FEE_QUOTE = """
SELECT st.code, st.name, st.is_group,
       (SELECT full_fee FROM billing_feeschedule f WHERE f.service_type_id = st.id AND f.effective_from <= current_date
         ORDER BY f.effective_from DESC LIMIT 1) AS full_fee,
       (SELECT json_build_array(g.year, g.first_person, g.each_additional_person) FROM billing_povertyguideline g
         WHERE g.year <= extract(year FROM current_date) AND g.region = 'contiguous' ORDER BY g.year DESC LIMIT 1),
       (SELECT json_agg(c ORDER BY c.max_percent NULLS LAST) FROM billing_slidingscaleclass c
         WHERE c.schedule_id = (SELECT id FROM billing_slidingscaleschedule WHERE effective_from <= current_date
                                 ORDER BY effective_from DESC LIMIT 1))
  FROM scheduling_servicetype st WHERE st.is_active ORDER BY st.code"""

# The statement run as one hand-written statement: every patient's balances grouped in one pass over the ledger,
# the next instalment of each active payment plan, the statements inserted from those and their emails inserted from
# the statements (run in a transaction that is rolled back). Same rule as the run: a patient with a charge or payment
# by the month's end gets a statement when they owe or are owed at its end, or had a charge or payment in the month;
# patients already issued that month are left alone. Each asks for the plan's next instalment (what payments against
# the plan left of it, at most the balance at issue) when there is one, else for the balance at issue.
STATEMENTS = """
WITH ledger AS (
    SELECT patient_id, posted_at AS at, (posted_at AT TIME ZONE %(tz)s::text)::date AS day, amount FROM billing_charge
    UNION ALL SELECT patient_id, received_at, (received_at AT TIME ZONE %(tz)s::text)::date, -amount
      FROM billing_payment
    UNION ALL SELECT patient_id, posted_at, (posted_at AT TIME ZONE %(tz)s::text)::date, -amount
      FROM billing_adjustment),
previous AS (
    SELECT DISTINCT ON (patient_id) patient_id, issued_at, balance_at_issue FROM billing_statement
     WHERE period_start < %(start)s::date ORDER BY patient_id, period_start DESC),
balances AS (
    SELECT l.patient_id, pr.issued_at AS opens_after,
           coalesce(pr.balance_at_issue, coalesce(sum(l.amount) FILTER (WHERE l.day < %(start)s::date), 0)) AS opening,
           coalesce(sum(l.amount) FILTER (WHERE l.at <= %(issued_at)s::timestamptz), 0) AS at_issue,
           coalesce(bool_or(l.at <= %(issued_at)s::timestamptz AND l.at >= coalesce(pr.issued_at,
                                                                 %(start)s::date::timestamp AT TIME ZONE %(tz)s::text)),
                    false) AS active,
           coalesce(bool_or(l.day <= %(end)s::date), false) AS candidate
      FROM ledger l LEFT JOIN previous pr ON pr.patient_id = l.patient_id
     GROUP BY l.patient_id, pr.issued_at, pr.balance_at_issue),
instalments AS (
    SELECT pl.patient_id, i.due_on, i.amount,
           sum(i.amount) OVER (PARTITION BY i.plan_id ORDER BY i.due_on) AS upto,
           coalesce((SELECT sum(p.amount) FROM billing_payment p WHERE p.plan_id = pl.id), 0) AS paid
      FROM billing_paymentplan pl JOIN billing_planinstalment i ON i.plan_id = pl.id
     WHERE pl.status = 'active'),
next_instalment AS (
    SELECT DISTINCT ON (patient_id) patient_id, due_on,
           amount - greatest(least(paid - (upto - amount), amount), 0) AS left_to_pay
      FROM instalments WHERE upto > paid ORDER BY patient_id, due_on),
asked AS (
    SELECT b.*, n.due_on,
           CASE WHEN n.left_to_pay IS NOT NULL AND least(n.left_to_pay, b.at_issue) > 0  -- least() skips a NULL
                THEN least(n.left_to_pay, b.at_issue) END AS instalment
      FROM balances b LEFT JOIN next_instalment n ON n.patient_id = b.patient_id),
issued AS (
    INSERT INTO billing_statement (patient_id, period_start, period_end, opening_balance, closing_balance,
                                   balance_at_issue, instalment_due, instalment_due_on, issued_at, counted,
                                   opens_after)
    SELECT a.patient_id, %(start)s::date, %(end)s::date, a.opening, a.at_issue, a.at_issue, a.instalment,
           CASE WHEN a.instalment IS NOT NULL THEN a.due_on END, %(issued_at)s::timestamptz, 'since_last',
           a.opens_after
      FROM asked a
     WHERE a.candidate AND (a.at_issue <> 0 OR a.active)
       AND NOT EXISTS (SELECT 1 FROM billing_statement s WHERE s.patient_id = a.patient_id
                                                          AND s.period_start >= %(start)s::date)
    RETURNING id, patient_id, issued_at, balance_at_issue, instalment_due, instalment_due_on)
INSERT INTO notifications_message (created_at, updated_at, patient_id, channel, to_address, purpose, template,
                                   context, subject_type, subject_id, dedupe_key, send_at, status, attempts,
                                   last_error, provider_id, provider_status)
SELECT now(), now(), p.id, 'email', p.email, 'statement_ready', 'statement_ready',
       jsonb_build_object('patient_first_name', coalesce(nullif(p.preferred_name, ''), p.legal_first_name),
                          'period', %(period)s::text, 'period_start', %(start)s::date::text,
                          'statement_url', %(site)s::text || '/portal/billing/statements/' || i.id || '/',
                          'amount_due', (CASE WHEN i.instalment_due IS NOT NULL THEN i.instalment_due
                                              WHEN i.balance_at_issue > 0 THEN i.balance_at_issue
                                              ELSE 0.00 END)::text,
                          'pay_by', coalesce(i.instalment_due_on,
                                             (i.issued_at AT TIME ZONE %(tz)s::text)::date + %(due_days)s::int)::text,
                          'asks_for', CASE WHEN i.instalment_due IS NOT NULL THEN 'instalment'
                                           WHEN i.balance_at_issue > 0 THEN 'balance' ELSE 'nothing' END),
       'billing.statement', i.id::text, 'statement:' || i.id || ':ready', i.issued_at, 'pending', 0, '', '', ''
  FROM issued i JOIN patients_patient p ON p.id = i.patient_id
 WHERE p.email <> ''"""


def statement_params(*, tz: str, start, end, site: str, due_days: int, issued_at) -> dict:
    """`issued_at` is the run's moment by the app's clock (the statements' issue, and the end of what they count),
    not the database server's, as the app's run takes it."""
    return {
        "issued_at": issued_at,
        "tz": tz,
        "start": start,
        "end": end,
        "period": start.strftime("%B %Y"),
        "site": site.rstrip("/"),
        "due_days": due_days,
    }


# The row a page writes to the PHI access log (apps/audit), as the app writes it for a request from 127.0.0.1.
ACCESS_LOG = """
INSERT INTO audit_accesslog (at, actor_id, action, allowed, subject_type, subject_id, patient_id, ip_address,
                             user_agent, path, detail)
VALUES (now(), %(actor)s, %(action)s, true, %(subject_type)s, %(subject_id)s, %(patient)s, '127.0.0.1', '',
        %(path)s, '{}')"""

AccessLogRows = Callable[[int], list[dict]]


def access_log_row(*, actor: int, action: str, subject_type: str, subject_id, patient: int | None, path: str) -> dict:
    """The parameters of ACCESS_LOG for one row."""
    return {
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "patient": patient,
        "path": path,
    }


def _log(conn: psycopg.Connection, rows: list[dict]) -> None:
    for row in rows:
        conn.execute(ACCESS_LOG, row)


def rolled_back(
    sql: str, params: Callable[[int], dict], *, access_log: AccessLogRows | None = None
) -> Callable[[psycopg.Connection, int], None]:
    """Floor work for writes: the same rows written by hand-written SQL, with the access-log rows the request
    writes, in one transaction that is rolled back so the targets stay free for the measured requests."""

    def work(conn: psycopg.Connection, i: int) -> None:
        with conn.transaction(force_rollback=True):
            conn.execute(sql, params(i))
            _log(conn, access_log(i) if access_log else [])

    return work


def query(
    sql: str, params: Callable[[int], dict], *, access_log: AccessLogRows | None = None
) -> Callable[[psycopg.Connection, int], None]:
    """Work for the floor runners: run one read query and fetch its rows. A page that logs the read gets its
    access-log rows written in the same transaction and committed, as the page commits them (the log is
    append-only; the benchmark database keeps one row per measured request too)."""

    def work(connection: psycopg.Connection, i: int) -> None:
        if access_log is None:
            connection.execute(sql, params(i)).fetchall()
            return
        with connection.transaction():
            connection.execute(sql, params(i)).fetchall()
            _log(connection, access_log(i))

    return work


def sql_serial(dsn: str, work: Callable[[psycopg.Connection, int], None], *, count: int) -> Latency:
    """One connection, `count` runs one after another (statements are prepared after their first run)."""
    samples = []
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=1, options=SESSION_OPTIONS) as connection:
        for i in range(count):
            started = time.perf_counter()
            work(connection, i)
            samples.append(time.perf_counter() - started)
    return latency_of(samples)


def sql_concurrent(dsn: str, work: Callable[[psycopg.Connection, int], None], *, threads: int, seconds: float) -> float:
    """`threads` connections doing the work back to back for `seconds`; runs per second."""
    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)
    stop = [0.0]

    errors: list[BaseException] = []

    def client(slot: int) -> None:
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=1, options=SESSION_OPTIONS) as connection:
            barrier.wait()
            try:
                while time.monotonic() < stop[0]:
                    work(connection, counts[slot] * threads + slot)
                    counts[slot] += 1
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

    workers = [threading.Thread(target=client, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    stop[0] = time.monotonic() + seconds
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return rate(sum(counts), time.perf_counter() - started)


def _inline(sql: str, params: dict) -> str:
    for name, value in sorted(params.items(), key=lambda kv: -len(kv[0])):
        literal = "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"
        sql = sql.replace(f"%({name})s", literal)
    return " ".join(sql.split())


def pgbench(dsn_parts: dict, sql: str | list[str], params: dict, *, clients: int, seconds: int) -> dict:
    """pgbench running the query (its parameters inlined) with `clients` connections; tps and mean latency.
    Several statements (a read and its access-log row) run as one transaction."""
    statements = [_inline(one, params) for one in ([sql] if isinstance(sql, str) else sql)]
    if len(statements) > 1:
        statements = ["BEGIN", *statements, "COMMIT"]
    with tempfile.TemporaryDirectory() as workdir:
        script = Path(workdir) / "query.sql"
        script.write_text("".join(f"{statement};\n" for statement in statements))
        result = subprocess.run(
            ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
             "-f", str(script), "-h", dsn_parts["host"], "-p", str(dsn_parts["port"]), "-U", dsn_parts["user"],
             dsn_parts["dbname"]],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
            env={**os.environ, "PGOPTIONS": SESSION_OPTIONS},
        )  # fmt: skip
    tps = re.search(r"tps = ([\d.]+)", result.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    return {"clients": clients, "tps": float(tps[1]), "latency_avg_ms": float(latency[1])}


def _smtp_client(port: int, messages: list[tuple[str, str, bytes]], n: int, slot: int, barrier) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        barrier.wait()
        for i in range(n):
            sender, recipient, data = messages[(slot + i * 7) % len(messages)]
            smtp.sendmail(sender, [recipient], data)


def smtp_sends(port: int, count: int, *, clients: int, messages: list[tuple[str, str, bytes]]) -> dict:
    """`count` sends of the given messages (sender, recipient, the finished message's bytes) over `clients`
    persistent SMTP connections to the sink, each from its own process (as the worker's processes send);
    seconds and rate. The messages are the reminders' own, rendered before the clock, so the server reads as
    many bytes for the floor as for the worker."""
    context = multiprocessing.get_context("fork")
    per_client = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    barrier = context.Barrier(clients + 1)
    senders = [
        context.Process(target=_smtp_client, args=(port, messages, n, slot, barrier))
        for slot, n in enumerate(per_client)
    ]
    for sender in senders:
        sender.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for sender in senders:
        sender.join()
    seconds = time.perf_counter() - started
    if any(sender.exitcode for sender in senders):
        raise RuntimeError("A raw SMTP sender failed.")
    size = sum(len(data) for _, _, data in messages) // len(messages)
    return {
        "messages": count,
        "clients": clients,
        "bytes": size,
        "seconds": round(seconds, 2),
        "per_second": rate(count, seconds),
    }
