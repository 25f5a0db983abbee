"""Staff pages take ids from the query string; a value that only looks like digits is ignored, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

# "²" and "٣" pass str.isdigit() but int() refuses the first and Postgres ids are ASCII anyway.
ODD = ["²", "٣", "99999999999999999999999", "1,²"]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    ("persona", "path", "names"),
    [
        ("front_desk", "/schedule/", ["therapist", "room"]),
        ("front_desk", "/schedule/events/", ["therapist", "room"]),
        ("front_desk", "/schedule/appointments/new/", ["patient", "therapist"]),
        ("front_desk", "/schedule/series/new/", ["patient", "therapist"]),
        ("admin", "/messages/", ["patient"]),
    ],
)
def test_odd_ids_in_the_query_string_are_ignored(personas, login, persona, path, names, value):
    params = dict.fromkeys(names, value)
    if path == "/schedule/events/":
        params |= {"start": "2026-11-16T00:00:00", "end": "2026-11-23T00:00:00"}
    assert login(getattr(personas, persona)).get(path, params).status_code == 200


@pytest.mark.parametrize("value", ODD)
def test_odd_ids_in_the_access_logs_filters_are_refused_with_the_summary_never_a_500(personas, login, value):
    """The access log's filters are a form whose errors are said: 422 with the summary, the rows unfiltered by them."""
    response = login(personas.admin).get("/audit/access-log/", dict.fromkeys(["patient", "actor"], value))
    assert response.status_code == 422 and 'id="error-summary"' in response.content.decode()


@pytest.mark.parametrize("persona", ["front_desk", "admin"])
def test_a_nul_in_a_search_or_filter_finds_nothing_instead_of_failing(personas, login, persona):
    client = login(getattr(personas, persona))
    assert client.get("/patients/", {"q": "Pat\x00"}).status_code == 200
    assert client.get("/patients/", {"status": "active\x00"}).status_code == 200
    if persona == "admin":
        assert client.get("/messages/", {"purpose": "reminder\x00"}).status_code == 200


@pytest.mark.parametrize("target", ["²", "home", "https://elsewhere.example/", "//elsewhere.example/", "/schedule/"])
def test_after_the_two_step_check_only_a_path_on_this_site_is_followed(personas, client, target):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=personas.front_desk, name="phone", confirmed=True)
    client.force_login(personas.front_desk, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/accounts/mfa/verify/", {"next": target}).status_code == 200
    response = client.post(f"/accounts/mfa/verify/?next={target}", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert response["Location"] == (target if target == "/schedule/" else "/")


def test_someone_without_a_schedule_is_told_so_when_asking_for_a_calendar_feed(personas, login):
    personas.admin.is_superuser = True
    personas.admin.save()
    response = login(personas.admin).post("/schedule/calendar-feed/issue/", follow=True)
    assert response.status_code == 200
    assert "Choose a therapist." in response.content.decode()
