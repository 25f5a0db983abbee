"""The calendar's events feed reads its range as far as any date may reach: a bound years away, with a time or
without, is a 400 naming it, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01", "0001-01-03"),
        ("9999-12-30", "9999-12-31"),
        ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+14:00"),
        ("9999-12-31T00:00:00-12:00", "9999-12-31T23:00:00-12:00"),
    ],
)
def test_a_range_out_of_reach_is_refused(clinic, login, start, end):
    response = login(clinic.front_desk).get("/schedule/events/", {"start": start, "end": end})
    assert response.status_code == 400
    assert "valid start date" in response.json()["error"]["message"]
