"""The menu each role sees, and what each page is for. Apps add their entries here as they gain pages.

An entry is shown to a user who has one of its roles and, when it names one, the permission its page checks: a
menu never links a page that would refuse the person reading it. The "not allowed" page (views.permission_denied)
uses the same entries to say what a refused page is for and who uses it.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from django.urls import reverse

from apps.core import clock
from apps.core.prepared import PreparedStatement

from .models import User
from .roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    perm: str | None = None  # the permission the page itself checks
    purpose: str = ""  # what the page is for, in a phrase that follows "This page is"

    @property
    def role_labels(self) -> list[str]:
        return [label for value, label in Role.choices if value in self.roles]


STAFF_NAV = [
    NavItem("Home", "home", STAFF_ROLES, purpose="the clinic's start page"),
    NavItem(
        "Calendar",
        "scheduling:calendar",
        STAFF_ROLES,
        perm="scheduling.view_calendar",
        purpose="the clinic's calendar of sessions",
    ),
    NavItem(
        "My day",
        "scheduling:my_day",
        frozenset({Role.THERAPIST}),
        perm="scheduling.own_schedule",
        purpose="a therapist's own sessions for the day, with check-in state",
    ),
    NavItem(
        "Patients",
        "patients:list",
        STAFF_ROLES,
        perm="patients.list_patients",
        purpose="the list of patient charts",
    ),
    NavItem(
        "Programs",
        "programs:list",
        frozenset({Role.ADMIN, Role.THERAPIST, Role.FRONT_DESK}),
        purpose="the group programs and their waitlists",
    ),
    NavItem(
        "Work queue",
        "programs:work_queue",
        frozenset({Role.ADMIN, Role.FRONT_DESK}),
        perm="programs.work_stranded_queue",
        purpose="people waiting on a program's list with no next step, for the front desk to call",
    ),
    NavItem(
        "Intake forms",
        "intake:outstanding",
        frozenset({Role.ADMIN, Role.FRONT_DESK}),
        perm="intake.list_outstanding",
        purpose="the patients with intake forms still to sign",
    ),
    NavItem(
        "Library",
        "education:library",
        frozenset({Role.ADMIN, Role.THERAPIST}),
        perm="education.view_library",
        purpose="the readings, recordings and journaling prompts therapists share with patients",
    ),
    NavItem(
        "Referrals",
        "referrals:queue",
        frozenset({Role.ADMIN, Role.FRONT_DESK}),
        perm="referrals.view_queue",
        purpose="inbound referrals waiting for review or a medical clearance, and outbound drafts",
    ),
    NavItem(
        "Unsigned notes",
        "notes:unsigned",
        frozenset({Role.THERAPIST}),
        perm="notes.view_unsigned_queue",
        purpose="a therapist's sessions still waiting for a signed note",
    ),
    NavItem(
        "Messages",
        "notifications:log",
        frozenset({Role.ADMIN, Role.FRONT_DESK}),
        perm="notifications.view_messages",
        purpose="the log of reminders and notices sent to patients",
    ),
    NavItem(
        "Inbox",
        "messaging:inbox",
        # A therapist sees it only while they take messages: the messaging app registers that check as a gate,
        # asked in the menu's one count query rather than through the permission (a settings and a profile lookup).
        frozenset({Role.ADMIN, Role.FRONT_DESK, Role.THERAPIST}),
        perm="messaging.view_inbox",
        purpose="patients' secure messages to the clinic, and to a therapist who takes them",
    ),
    NavItem(
        "Billing",
        "billing:home",
        frozenset({Role.ADMIN, Role.FRONT_DESK, Role.BILLING}),
        perm="billing.list_balances",
        purpose="balances, payments and sliding-scale reviews",
    ),
    NavItem(
        "Care ladder",
        "ladder:report",
        frozenset({Role.ADMIN}),
        perm="ladder.view_report",
        purpose="the care ladder report: people at each rung, waits for the next, programs proposed and launched",
    ),
    NavItem(
        "Users",
        "accounts:user_list",
        frozenset({Role.ADMIN}),
        perm="accounts.manage_users",
        purpose="the clinic's staff accounts and invitations",
    ),
    NavItem(
        "Clinic settings",
        "accounts:clinic_settings",
        frozenset({Role.ADMIN}),
        perm="accounts.change_clinic_settings",
        purpose="the clinic's policies and contact details",
    ),
    NavItem(
        "Intake documents",
        "intake:documents",
        frozenset({Role.ADMIN}),
        perm="intake.manage_documents",
        purpose="the intake questionnaire and consent documents, and their versions",
    ),
    NavItem(
        "Access log",
        "audit:access_log",
        frozenset({Role.ADMIN}),
        perm="audit.view_access_log",
        purpose="the record of who opened which chart",
    ),
    NavItem("API tokens", "accounts:api_tokens", STAFF_ROLES, purpose="your keys for the clinic's API"),
]
PORTAL_NAV = [
    NavItem("Home", "portal:dashboard", frozenset({Role.PATIENT})),
    NavItem("Sessions", "portal:sessions:list", frozenset({Role.PATIENT}), perm="scheduling.use_portal_sessions"),
    NavItem(
        "Book",
        "portal:booking:therapists",
        frozenset({Role.PATIENT}),
        perm="selfbooking.use",
        purpose="booking a first session online",
    ),
    NavItem("Billing", "portal:billing:home", frozenset({Role.PATIENT})),
    NavItem("Programs", "portal:programs:list", frozenset({Role.PATIENT})),
    NavItem("Messages", "portal:messages", frozenset({Role.PATIENT}), perm="messaging.use_portal_messages"),
    NavItem("Your path", "portal:ladder:where_you_are", frozenset({Role.PATIENT})),
    NavItem("Forms", "portal:intake:packet", frozenset({Role.PATIENT})),
    NavItem("Questionnaires", "portal:questionnaires", frozenset({Role.PATIENT})),
    NavItem("Journal", "portal:journal", frozenset({Role.PATIENT})),
    NavItem(
        "Library",
        "portal:library",
        frozenset({Role.PATIENT}),
        perm="education.use_portal_library",
        purpose="the reading material your therapist shared with you",
    ),
    NavItem("Records", "portal:records:home", frozenset({Role.PATIENT}), perm="records.download_own"),
    NavItem("Settings", "portal:settings", frozenset({Role.PATIENT})),
]


# Counts shown next to a menu entry (unread messages, referrals waiting), by the entry's url name: `rows(user)` is
# the queryset whose rows are counted, or None for no count. The apps that own the rows register them when they
# load, so this lower layer never imports them.
#
# The menu is on every page, so its count query is built and compiled once for every reader with the same roles and
# permissions (`_statement_for`), then run with each reader's own values. `rows(user)` and `gate(user)` may therefore
# depend on the reader through their roles and permissions, their id and the clinic's clock (`clock.now()`) only:
# anything else a reader's rows depend on is asked inside the query (as the gates are).
_BADGES: dict[str, Callable[[object], QuerySet | None]] = {}


def nav_badge_register(url_name: str, rows: Callable[[object], QuerySet | None]) -> None:
    """Show how many rows `rows(user)` has (nothing when none) next to the menu entry of `url_name`."""
    _BADGES[url_name] = rows


# Entries some readers see only while a row exists (a therapist's inbox, while they take messages; Book, while a
# patient has a first session to book or move), by the entry's url name: `gate(user)` is those rows, asked in the
# menu's one count query in place of the entry's permission (which would cost a query or more of its own), or None
# where the permission decides as usual.
_GATES: dict[str, Callable[[object], QuerySet | None]] = {}


def nav_gate_register(url_name: str, gate: Callable[[object], QuerySet | None]) -> None:
    """Show the menu entry of `url_name` to a user for whom `gate(user)` has a row (None: its permission decides)."""
    _GATES[url_name] = gate


# Stand-ins for the reader's id and the time of the request in the statement compiled once: no user has this id, and
# no query of the menu's compares with this moment, so each is found among the compiled parameters by its value.
_READER_ID = -271_828_182
_READER_MOMENT = dt.datetime(1970, 1, 1, 0, 0, 0, 271_828, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _CountStatement:
    """The menu's counts for readers with the same roles, as one compiled SQL statement."""

    names: tuple[str, ...]  # the url names counted, in the statement's column order
    gated: frozenset[str]  # those whose count is None while their gate has no row
    database: str
    sql: str
    params: tuple
    reader_at: tuple[int, ...]  # where the reader's id goes among the parameters
    moment_at: tuple[int, ...]  # and where the time of the request goes
    prepared: PreparedStatement  # the SQL, to run prepared on each connection

    def params_for(self, user) -> list:
        """The parameters with the reader's id and the time of the request in place of the stand-ins."""
        params = list(self.params)
        for position in self.reader_at:
            params[position] = user.pk
        if self.moment_at:
            moment = clock.now()
            for position in self.moment_at:
                params[position] = moment
        return params

    def counts(self, user) -> dict[str, int | None]:
        if not self.names:
            return {}
        # Prepared once per connection: the statement's many subqueries cost more to plan than to run.
        row = self.prepared.fetchone(self.params_for(user))
        return dict(zip(self.names, row, strict=True))


def _compiled(badges: dict[str, QuerySet], gates: dict[str, QuerySet]) -> tuple[tuple[str, ...], str, str, list]:
    """Every count of the menu in one query, a subquery each. A gated entry's count is None when its gate has no
    row (the entry is then left off), and 0 when it has one but nothing to count."""
    names = (*badges, *(name for name in gates if name not in badges))
    parts, params = [], []
    for name in names:
        part, part_params = "0", []
        if name in badges:
            sql, part_params = badges[name].order_by().query.sql_with_params()
            # The SQL is the ORM's own, compiled with its values kept apart as parameters.
            part = f"(SELECT COUNT(*) FROM ({sql}) AS counted)"  # noqa: S608
            part_params = list(part_params)
        if name in gates:
            gate_sql, gate_params = gates[name].order_by().query.sql_with_params()
            part = f"CASE WHEN EXISTS ({gate_sql}) THEN {part} END"
            part_params = [*gate_params, *part_params]
        parts.append(part)
        params.extend(part_params)
    database = next(iter((badges or gates).values())).db if names else DEFAULT_DB_ALIAS
    return names, database, "SELECT " + ", ".join(parts), params


def _stand_in(user):
    """An unsaved user with the reader's roles and permissions and the stand-in id, to build the statement from."""
    stand_in = User(pk=_READER_ID, is_active=user.is_active, is_superuser=user.is_superuser)
    stand_in.__dict__["_access"] = user._access  # the roles and permissions the reader's request already holds
    return stand_in


def _counts_query(reader, menu: list[NavItem]) -> tuple[tuple[str, ...], frozenset[str], str, str, list]:
    """The menu's count query for `reader`: the url names it counts, those gated, its database, SQL and parameters."""
    gates = {
        item.url_name: rows
        for item in menu
        if item.url_name in _GATES and (rows := _GATES[item.url_name](reader)) is not None
    }
    badges = {
        item.url_name: rows
        for item in menu
        if item.url_name in _BADGES and (rows := _BADGES[item.url_name](reader)) is not None
    }
    names, database, sql, params = _compiled(badges, gates)
    return names, frozenset(gates), database, sql, params


def _statement_build(user, menu: list[NavItem]) -> _CountStatement:
    with clock.recorded_at(_READER_MOMENT):
        names, gated, database, sql, params = _counts_query(_stand_in(user), menu)
    return _CountStatement(
        names=names,
        gated=gated,
        database=database,
        sql=sql,
        params=tuple(params),
        reader_at=tuple(i for i, value in enumerate(params) if type(value) is int and value == _READER_ID),
        moment_at=tuple(i for i, value in enumerate(params) if value == _READER_MOMENT),
        prepared=PreparedStatement(database, sql),
    )


# Statements by the roles and permissions they were built for; a clinic has a handful of such sets, and the bound
# only keeps an odd one (permissions granted to one person) from growing it without end.
_STATEMENTS: dict[tuple, _CountStatement] = {}
_STATEMENTS_KEPT = 64


def _statement_for(user, menu: list[NavItem]) -> _CountStatement:
    key = (user._access, user.is_superuser, user.is_active, tuple(item.url_name for item in menu))
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _statement_build(user, menu)
        if len(_STATEMENTS) >= _STATEMENTS_KEPT:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    return statement


def _may_open(user, item: NavItem) -> bool:
    return item.perm is None or user.has_perm(item.perm)


def _menu_of(user) -> list[NavItem]:
    """The entries of the user's menu their roles reach, before permissions and gates."""
    return [item for item in (STAFF_NAV if user.is_clinic_staff else PORTAL_NAV) if user.has_role(*item.roles)]


def navigation_for(user) -> list[dict]:
    menu = _menu_of(user)
    statement = _statement_for(user, menu)
    items = [item for item in menu if item.url_name in statement.gated or _may_open(user, item)]
    counts = statement.counts(user)
    return [
        {"label": item.label, "url": reverse(item.url_name), "badge": counts.get(item.url_name) or 0}
        for item in items
        if not (item.url_name in statement.gated and counts[item.url_name] is None)
    ]


def page_described(view_name: str | None) -> NavItem | None:
    """The menu entry of a page, to say what a refused page is for and who uses it; None for pages off the menu."""
    return next((item for item in (*STAFF_NAV, *PORTAL_NAV) if item.url_name == view_name), None)
