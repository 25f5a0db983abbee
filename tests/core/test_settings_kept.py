"""The clinic's settings row is kept between requests and tasks, and a change to it is read at once, whatever path
saved it; a row read inside a transaction that is then rolled back is never kept."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.services import clinic_settings_update
from apps.core.models import ClinicSettings

# Outside a test transaction, as a page or a task reads: only such a read is kept.
pytestmark = pytest.mark.django_db(transaction=True)


def _reads(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return sum('FROM "core_clinicsettings"' in q["sql"] for q in captured.captured_queries)


def test_a_second_read_takes_the_row_from_the_cache(personas):
    clinic_settings_update(actor=personas.admin, cancellation_window_hours=36)
    assert _reads(ClinicSettings.load) == 1
    assert _reads(ClinicSettings.load) == 0
    assert ClinicSettings.load().cancellation_window_hours == 36


def test_the_staff_pages_read_no_settings_row_once_it_is_kept(personas, login):
    client = login(personas.therapist)
    path = f"/patients/{personas.patient.pk}/"
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    assert not [q for q in captured.captured_queries if q["sql"].startswith('SELECT "core_clinicsettings"')]


def test_a_change_saved_by_the_service_is_read_at_once(personas):
    ClinicSettings.load()
    clinic_settings_update(actor=personas.admin, name="Riverside Clinic")
    assert ClinicSettings.load().name == "Riverside Clinic"


def test_a_change_saved_by_a_plain_save_is_read_at_once(personas):
    """The Django admin's path, and a fixture's."""
    ClinicSettings.load()
    row = ClinicSettings.objects.get_or_create(id=1)[0]
    row.seat_offer_hold_hours = 12
    row.save()
    assert ClinicSettings.load().seat_offer_hold_hours == 12


def test_the_row_deleted_gives_the_defaults_at_once(personas):
    clinic_settings_update(actor=personas.admin, name="Riverside Clinic")
    ClinicSettings.load()
    ClinicSettings.objects.get(id=1).delete()
    assert ClinicSettings.load().name == ClinicSettings().name


def test_a_row_read_inside_a_rolled_back_change_is_not_kept(personas):
    clinic_settings_update(actor=personas.admin, name="Old Mill Clinic")
    with transaction.atomic():
        clinic_settings_update(actor=personas.admin, name="Never committed")
        assert ClinicSettings.load().name == "Never committed"
        transaction.set_rollback(True)
    assert ClinicSettings.load().name == "Old Mill Clinic"


def test_when_the_cache_is_down_the_database_answers(personas, settings):
    clinic_settings_update(actor=personas.admin, name="Riverside Clinic")
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert ClinicSettings.load().name == "Riverside Clinic"
    assert _reads(ClinicSettings.load) == 1
