"""The clinic settings page speaks in words, not field names."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_clinic_settings_name_their_fields_in_words(personas, login):
    body = login(personas.admin).get("/accounts/clinic-settings/").content.decode()
    for label in ("Tax ID (EIN)", "Text reminder: hours before a session", "No texts from"):
        assert label in body
    assert "Reminder sms lead hours" not in body
