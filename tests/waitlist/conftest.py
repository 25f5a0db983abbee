"""Fixtures the slot waitlist's tests share."""

import pytest

from apps.scheduling.models import Location


@pytest.fixture
def west():
    return Location.objects.create(
        name="West office",
        time_zone="America/Los_Angeles",
        address_line1="200 Pine St",
        city="Pasadena",
        state="CA",
        postal_code="91101",
    )
