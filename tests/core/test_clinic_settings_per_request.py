"""The clinic's settings row is read once per request, and a change is seen at once: by the rest of the request
that saved it, by the next request, and by every task or command (which run outside a request). Between requests the
row is kept in the cache until it is saved again (tests/core/test_settings_kept.py)."""

import pytest
from django.test import RequestFactory

from apps.accounts.services import clinic_settings_update
from apps.core.models import ClinicSettings
from apps.core.request_memo import RequestMemoMiddleware

pytestmark = pytest.mark.django_db


def _within_a_request(work):
    """Run `work()` as a view served behind the request memo would, and return what it returned."""
    return RequestMemoMiddleware(lambda request: work())(RequestFactory().get("/"))


def test_a_change_is_seen_by_the_next_request(personas, login):
    client = login(personas.patient_user)
    clinic_settings_update(actor=personas.admin, name="Old Mill Clinic")
    assert "Old Mill Clinic" in client.get("/portal/contact/").content.decode()
    clinic_settings_update(actor=personas.admin, name="Riverside Clinic")
    page = client.get("/portal/contact/").content.decode()
    assert "Riverside Clinic" in page
    assert "Old Mill Clinic" not in page


def test_a_request_reads_the_row_once(personas, django_assert_num_queries):
    clinic_settings_update(actor=personas.admin, cancellation_window_hours=36)

    def work():
        with django_assert_num_queries(1):
            return [ClinicSettings.load().cancellation_window_hours for _ in range(3)]

    assert _within_a_request(work) == [36, 36, 36]


def test_the_rest_of_the_request_that_saves_a_change_reads_the_new_value(personas):
    def work():
        before = ClinicSettings.load().cancellation_window_hours
        clinic_settings_update(actor=personas.admin, cancellation_window_hours=12)
        return before, ClinicSettings.load().cancellation_window_hours

    assert _within_a_request(work) == (24, 12)


def test_a_caller_changing_its_copy_changes_nobody_elses():
    def work():
        ClinicSettings.load().name = "Typed into a form, never saved"
        return ClinicSettings.load().name

    assert _within_a_request(work) == ClinicSettings().name


def test_outside_a_request_a_read_sees_every_saved_change(personas):
    """Celery tasks and commands never hold on to a value another task or an admin has since changed."""
    clinic_settings_update(actor=personas.admin, seat_offer_hold_hours=48)
    assert ClinicSettings.load().seat_offer_hold_hours == 48
    clinic_settings_update(actor=personas.admin, seat_offer_hold_hours=24)  # as another process would
    assert ClinicSettings.load().seat_offer_hold_hours == 24
