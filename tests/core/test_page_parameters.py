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
        ("admin", "/audit/access-log/", ["patient", "actor"]),
    ],
)
def test_odd_ids_in_the_query_string_are_ignored(personas, login, persona, path, names, value):
    params = dict.fromkeys(names, value)
    if path == "/schedule/events/":
        params |= {"start": "2026-11-16T00:00:00", "end": "2026-11-23T00:00:00"}
    assert login(getattr(personas, persona)).get(path, params).status_code == 200
