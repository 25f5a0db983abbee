"""Personas: who may and may not act. Every permission test is written in their names."""

import datetime as dt
import json
import uuid
from types import SimpleNamespace

import pytest
from celery import Task
from django.apps import apps
from django.conf import settings
from django.core.signals import request_started
from django.db import connections
from django.db.models.signals import post_migrate
from django.test import Client, TransactionTestCase
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from apps.accounts.disciplines import Discipline
from apps.accounts.roles import Role
from apps.core import clock
from apps.core.database_roles import OWNER_DATABASE
from apps.core.kept import held_release

from .factories import AppointmentFactory, PatientFactory, ServiceTypeFactory, TherapistFactory, UserFactory
from .flush import database_flush, reference_writers_guard


def _connect_default_as(role: dict) -> None:
    """Point the default database alias at another role's credentials (open connections close)."""
    connections.close_all()
    connections["default"].settings_dict.update(USER=role["USER"], PASSWORD=role["PASSWORD"])


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """The test database is created and migrated by the owner role, as in a deploy (docs/database-roles.md).
    Returns the app role's credentials, which the tests then run with."""
    default = connections["default"].settings_dict
    app_role = {"USER": default["USER"], "PASSWORD": default["PASSWORD"]}
    _connect_default_as(settings.DATABASES[OWNER_DATABASE])
    return app_role


def _shipped_rows_ensure() -> None:
    """The rows the data migrations ship: the note templates, the intake documents."""
    from apps.intake.services import intake_documents_ensure
    from apps.notes.services import note_templates_ensure

    note_templates_ensure()
    intake_documents_ensure()


def _reference_data_ensure() -> None:
    """The shipped rows and the role groups."""
    from apps.accounts.services import roles_ensure

    _shipped_rows_ensure()
    roles_ensure()


def _reference_data_back(sender, plan=None, **kwargs) -> None:
    """A transactional test ends by emptying every table (Django's flush), which then sends post_migrate with no
    plan (`migrate` sends its plan): the reference rows go back in, committed, so the tests after it start from
    them as from a fresh database instead of each writing them again inside its own transaction."""
    if plan is None:
        _reference_data_ensure()


reference_writers_guard()
post_migrate.connect(_reference_data_back, sender=apps.get_app_config("notes"), dispatch_uid="tests-reference-data")


def _request_reads_afresh(sender, **kwargs) -> None:
    """The test client's requests run inside the test's transaction, where a request in production begins outside
    any: what the test or an earlier request read there is not held for it (`apps.core.kept`)."""
    held_release()


request_started.connect(_request_reads_afresh, dispatch_uid="tests-request-reads-afresh")


_django_fixture_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self) -> None:
    """A transactional test (live_server included) ends with every table emptied, as with Django's flush, but only
    the tables the test filled are touched (tests/flush.py). A test that names its apps or restores serialized rows
    keeps Django's own."""
    if self.available_apps is not None or self.serialized_rollback:
        _django_fixture_teardown(self)
        return
    for db_name in self._databases_names(include_mirrors=False):
        database_flush(using=db_name)


TransactionTestCase._fixture_teardown = _fixture_teardown


@pytest.fixture(scope="session")
def django_db_setup(django_db_modify_db_settings, django_db_setup, django_db_blocker):
    """Every test runs as the app role, like the web app and workers. Transactional tests end by emptying the
    tables with TRUNCATE, which the app role is granted in the test database only. The reference rows are there
    from the start, committed (a database kept from an earlier run may have been left empty)."""
    app_role = django_db_modify_db_settings
    role = connections["default"].ops.quote_name(app_role["USER"])
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}")
    _connect_default_as(app_role)
    with django_db_blocker.unblock():
        _reference_data_ensure()
    yield
    _connect_default_as(settings.DATABASES[OWNER_DATABASE])  # only the owner may drop the test database


@pytest.fixture(scope="module")
def database_as_owner(django_db_setup, django_db_modify_db_settings):
    """A module of tests for an owner-side tool (the large-clinic loader reserves id blocks with setval and
    bulk-loads row history with the history triggers switched off) connects as the owner role."""
    _connect_default_as(settings.DATABASES[OWNER_DATABASE])
    yield
    _connect_default_as(django_db_modify_db_settings)


@pytest.fixture(autouse=True)
def _shipped_reference_data(request):
    """Rows the data migrations ship (the note templates, the intake documents) exist in every database test.

    Transactional tests end by emptying every table, migration rows included, and the rows come back committed
    after it (`_reference_data_back`); a test that removed one some other way finds it put back here (inside its
    own transaction when it has one).
    """
    if request.node.get_closest_marker("django_db") is None:
        if not {"db", "transactional_db"} & set(request.fixturenames):
            return
        request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    _shipped_rows_ensure()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own key space in the real Redis cache (never flush: Redis is shared)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def accounts_worker(monkeypatch):
    """The emails accounts hands to the worker (reset links, invitations, notices), kept from any real broker: `queued`
    holds each task's name and arguments as the broker carries them (JSON), and `run()` has the worker run them, as
    a worker process would, by calling the task. A test that never calls `run()` sends none of them."""
    from apps.accounts import tasks

    queued = []
    by_name = {task.name: task for task in vars(tasks).values() if isinstance(task, Task)}

    def run():
        while queued:
            call = queued.pop(0)
            by_name[call["task"]](*call["args"], **call["kwargs"])

    for task in by_name.values():

        def enqueue(*args, name=task.name, **kwargs):
            queued.append(json.loads(json.dumps({"task": name, "args": args, "kwargs": kwargs})))

        monkeypatch.setattr(task, "delay", enqueue)
    return SimpleNamespace(queued=queued, run=run)


@pytest.fixture(autouse=True)
def records_worker(monkeypatch):
    """The record files asked for, kept from any real broker as `accounts_worker` keeps its emails: `queued` holds
    each task as the broker carries it (JSON), and `run()` has the worker make them by calling the task."""
    from apps.records import tasks

    queued = []

    def run():
        while queued:
            call = queued.pop(0)
            tasks.record_export_build(*call["args"], **call["kwargs"])

    def enqueue(*args, **kwargs):
        queued.append(json.loads(json.dumps({"task": tasks.record_export_build.name, "args": args, "kwargs": kwargs})))

    monkeypatch.setattr(tasks.record_export_build, "delay", enqueue)
    return SimpleNamespace(queued=queued, run=run)


@pytest.fixture
def personas(db):
    """A therapist and their patient, another therapist, front desk, billing, admin, and an unrelated patient."""
    therapist = TherapistFactory(email="therapist@example.test", first_name="Theo", last_name="Rapist")
    other_therapist = TherapistFactory(email="other.therapist@example.test")
    patient_user = UserFactory(email="patient@example.test", roles=[Role.PATIENT])
    patient = PatientFactory(
        user=patient_user, primary_therapist=therapist, legal_first_name="Pat", legal_last_name="Ient"
    )
    other_patient_user = UserFactory(email="other.patient@example.test", roles=[Role.PATIENT])
    other_patient = PatientFactory(user=other_patient_user, primary_therapist=other_therapist)
    return SimpleNamespace(
        therapist=therapist,
        other_therapist=other_therapist,
        front_desk=UserFactory(email="frontdesk@example.test", roles=[Role.FRONT_DESK]),
        billing=UserFactory(email="billing@example.test", roles=[Role.BILLING]),
        admin=UserFactory(email="admin@example.test", roles=[Role.ADMIN]),
        patient_user=patient_user,
        patient=patient,
        other_patient_user=other_patient_user,
        other_patient=other_patient,
    )


@pytest.fixture
def trainee(personas):
    """A pre-licensed therapist the personas' therapist supervises."""
    return TherapistFactory(
        first_name="Tess", last_name="Rainee", profile__is_prelicensed=True, profile__supervisor=personas.therapist
    )


@pytest.fixture
def successor(personas):
    """A licensed therapist of the personas' therapist's discipline, who could take over their supervision."""
    return TherapistFactory(first_name="Sue", last_name="Ccessor")


def admin_profile_change(client, profile, **changes):
    """Post a therapist profile's change form in the Django admin: the profile as it stands, with `changes`
    (booleans as the form sends them: ticked "on", unticked left out)."""
    fields = {
        "discipline": profile.discipline,
        "credentials": profile.credentials,
        "license_type": profile.license_type,
        "license_number": profile.license_number,
        "npi": profile.npi,
        "supervisor": profile.supervisor_id or "",
        "bio": profile.bio,
        "is_prelicensed": profile.is_prelicensed,
        "accepts_patient_messages": profile.accepts_patient_messages,
        "accepts_new_patients": profile.accepts_new_patients,
        "self_booking": profile.self_booking,
    }
    fields.update(changes)
    body = {name: ("on" if value is True else value) for name, value in fields.items() if value is not False}
    return client.post(f"/admin/accounts/therapistprofile/{profile.pk}/change/", body)


@pytest.fixture
def bodywork_provider(personas):
    """A massage and bodywork provider who treated the personas' patient last week: the chart is theirs to open,
    its psychotherapy content is not."""
    massage = ServiceTypeFactory(
        code="RLX60", name="Relaxation massage, 60 min", duration_minutes=60, discipline=Discipline.BODYWORK
    )
    provider = TherapistFactory(email="bodywork@example.test", profile__discipline=Discipline.BODYWORK)
    start = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=7), dt.time(16, 0))
    AppointmentFactory(
        therapist=provider,
        patient=personas.patient,
        service_type=massage,
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    return provider


def verify_mfa(client: Client, user) -> None:
    """Pass the TOTP challenge for a staff user on a logged-in client."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    # A TOTP code is accepted once per time step; tests sign the same user in more than once.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    response = client.post("/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302, response.content


def mfa_passed(client: Client, user) -> None:
    """Mark a logged-in client's session as having passed the TOTP challenge, as `otp_login` does, without the
    request: the challenge itself is tested through its page (tests/accounts), and most tests only need a staff
    member past it. The session names a confirmed device of the user's, so every request checks it as it would."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def login():
    """login(user) -> a Django test client signed in (and past MFA if the account needs it)."""

    def _login(user, *, api: bool = False):
        client = APIClient() if api else Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if user.requires_mfa:
            mfa_passed(client, user)
        return client

    return _login


@pytest.fixture
def superuser_admin(personas, login):
    """The personas' admin made a Django superuser, signed in: the Django admin's most powerful visitor."""
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    return login(personas.admin)


@pytest.fixture
def make_patients(db):
    """make_patients(n) -> n active patients, each with a portal account."""

    def _make(n: int):
        return [PatientFactory(user=UserFactory(roles=[Role.PATIENT])) for _ in range(n)]

    return _make
