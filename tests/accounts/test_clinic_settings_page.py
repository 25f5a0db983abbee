"""The clinic settings page speaks in words, not field names, and keeps hold and lead times within bounds."""

import pytest

from apps.accounts.forms import ClinicSettingsForm
from apps.core.models import ClinicSettings

pytestmark = pytest.mark.django_db


def test_the_clinic_settings_name_their_fields_in_words(personas, login):
    body = login(personas.admin).get("/accounts/clinic-settings/").content.decode()
    for label in ("Tax ID (EIN)", "Text reminder: hours before a session", "No texts from"):
        assert label in body
    assert "Reminder sms lead hours" not in body


def _settings_form_data(**changes) -> dict:
    """The settings page's form as it stands, with `changes` typed in."""
    form = ClinicSettingsForm(instance=ClinicSettings.load())
    return {**{name: form[name].value() for name in form.fields}, **changes}


@pytest.mark.parametrize(
    ("setting", "refused", "kept"),
    [
        ("seat_offer_hold_hours", 0, 1),  # 0: every offer expired as it was made
        ("seat_offer_hold_hours", 10**9, 336),  # years: past what the date arithmetic holds
        ("reminder_email_lead_hours", 10**9, 336),
        ("reminder_sms_lead_hours", 0, 1),
        ("cancellation_window_hours", 10**9, 0),
        ("self_booking_min_notice_hours", 10**9, 0),
    ],
)
def test_hold_and_lead_times_outside_their_bounds_are_refused_on_the_field(personas, login, setting, refused, kept):
    client = login(personas.admin)
    before = getattr(ClinicSettings.load(), setting)
    page = client.post("/accounts/clinic-settings/", _settings_form_data(**{setting: refused}))
    assert page.status_code == 422 and "Ensure this value is" in page.content.decode()
    assert getattr(ClinicSettings.load(), setting) == before
    assert client.post("/accounts/clinic-settings/", _settings_form_data(**{setting: kept})).status_code == 302
    assert getattr(ClinicSettings.load(), setting) == kept


@pytest.mark.parametrize("typed", ["abc", "12345", "12345678ab"])
def test_an_organisation_npi_that_is_not_ten_digits_is_refused_on_the_field(personas, login, typed):
    """The organisation NPI is printed on every superbill; a mistyped one is caught here, as a therapist's is."""
    client = login(personas.admin)
    page = client.post("/accounts/clinic-settings/", _settings_form_data(npi=typed))
    assert page.status_code == 422 and "Ten digits, or empty." in page.content.decode()
    assert ClinicSettings.load().npi == ""
    assert client.post("/accounts/clinic-settings/", _settings_form_data(npi="1093847561")).status_code == 302
    assert ClinicSettings.load().npi == "1093847561"


def test_the_late_cancellation_window_says_where_its_fee_is_set(personas, login):
    """The window is set here, its fee with the sliding scale: the setting says so, and how the fee slides."""
    body = login(personas.admin).get("/accounts/clinic-settings/").content.decode()
    assert "late-cancel / no-show policy fee under Billing, Fees and sliding scale" in body


def test_quiet_hours_that_start_and_end_together_are_said_to_mean_texts_at_any_hour(personas, login):
    """The same time in both fields turns quiet hours off: the field says so, and so does the page once saved."""
    client = login(personas.admin)
    assert "The same time in both: no quiet hours" in client.get("/accounts/clinic-settings/").content.decode()
    sent = _settings_form_data(quiet_hours_start="07:00", quiet_hours_end="07:00")
    saved = client.post("/accounts/clinic-settings/", sent, follow=True).content.decode()
    assert "Texts now go out at any hour: quiet hours start and end at the same time." in saved
    ordinary = client.post("/accounts/clinic-settings/", _settings_form_data(quiet_hours_end="08:00"), follow=True)
    assert "Texts now go out at any hour" not in ordinary.content.decode()
