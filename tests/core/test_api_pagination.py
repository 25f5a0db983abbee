"""Every API list: `limit` and `offset` are bounded, so a huge or malformed value is a 400, never a 500."""

import pytest

from apps.core.pagination import MAX_OFFSET, MAX_PAGE_SIZE

pytestmark = pytest.mark.django_db

PERSONAS = ("admin", "front_desk", "billing", "therapist", "patient_user")
OUT_OF_RANGE = [
    {"limit": "9223372036854775808"},
    {"offset": "9223372036854775808"},
    {"limit": str(MAX_PAGE_SIZE + 1)},
    {"offset": str(MAX_OFFSET + 1)},
    {"limit": "-1"},
    {"limit": "0"},
    {"offset": "-5"},
    {"limit": "ten"},
    {"offset": "1e3"},
]


def _paginated_lists(client) -> list[str]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "{" not in path
        and any(parameter["name"] == "limit" for parameter in operations.get("get", {}).get("parameters", []))
    )


def test_every_api_list_refuses_an_out_of_range_page(personas, login):
    clients = {name: login(getattr(personas, name), api=True) for name in PERSONAS}
    lists = _paginated_lists(clients["admin"])
    assert len(lists) > 10
    for path in lists:
        allowed = [client for client in clients.values() if client.get(path).status_code == 200]
        assert allowed, f"no persona may list {path}"
        for query in OUT_OF_RANGE:
            response = allowed[0].get(path, query)
            assert response.status_code == 400, (path, query, response.status_code)
            assert set(response.json()["error"]["fields"]) == set(query)


def test_a_page_within_bounds_is_served(personas, login):
    client = login(personas.front_desk, api=True)
    response = client.get("/api/patients/", {"limit": MAX_PAGE_SIZE, "offset": MAX_OFFSET})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert len(client.get("/api/patients/", {"limit": 1}).json()["results"]) == 1


def test_the_schema_documents_the_bounds_and_the_400(personas, login):
    schema = login(personas.admin, api=True).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/patients/"]["get"]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, MAX_PAGE_SIZE)
    assert "400" in operation["responses"]
