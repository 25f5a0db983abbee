"""Each role's access to patient charts, through pages and the API; denied answers carry no patient data."""

import pytest

from apps.audit.models import AccessLog

pytestmark = pytest.mark.django_db

STAFF_CHART_READERS = ["therapist", "front_desk", "billing", "admin"]
CHART_READERS = [*STAFF_CHART_READERS, "patient_user"]
CHART_STRANGERS = ["other_therapist", "other_patient_user"]


@pytest.mark.parametrize("persona", STAFF_CHART_READERS)
def test_allowed_roles_open_the_chart_page(personas, login, persona):
    client = login(getattr(personas, persona))
    response = client.get(f"/patients/{personas.patient.pk}/")
    assert response.status_code == 200
    assert personas.patient.legal_last_name in response.content.decode()


@pytest.mark.parametrize("persona", [*CHART_STRANGERS, "patient_user"])
def test_strangers_get_404_without_patient_data(personas, login, persona):
    client = login(getattr(personas, persona))
    response = client.get(f"/patients/{personas.patient.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert personas.patient.legal_last_name not in body
    assert personas.patient.email not in body


@pytest.mark.parametrize("persona", CHART_READERS)
def test_allowed_roles_read_the_chart_through_the_api(personas, login, persona):
    client = login(getattr(personas, persona), api=True)
    response = client.get(f"/api/patients/{personas.patient.pk}/")
    assert response.status_code == 200
    assert response.json()["legal_last_name"] == personas.patient.legal_last_name


@pytest.mark.parametrize("persona", CHART_STRANGERS)
def test_strangers_get_api_404_without_patient_data(personas, login, persona):
    client = login(getattr(personas, persona), api=True)
    response = client.get(f"/api/patients/{personas.patient.pk}/")
    assert response.status_code == 404
    assert personas.patient.legal_last_name not in response.content.decode()
    assert response.json()["error"]["code"] == "not_found"


def test_therapist_lists_only_their_own_patients(personas, login):
    client = login(personas.therapist, api=True)
    ids = [row["id"] for row in client.get("/api/patients/").json()["results"]]
    assert ids == [personas.patient.pk]


def test_front_desk_lists_everyone(personas, login):
    client = login(personas.front_desk, api=True)
    ids = {row["id"] for row in client.get("/api/patients/").json()["results"]}
    assert ids == {personas.patient.pk, personas.other_patient.pk}


def test_patient_cannot_list_patients(personas, login):
    client = login(personas.patient_user, api=True)
    assert client.get("/api/patients/").status_code == 403
    assert client.get("/patients/").status_code == 403


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("front_desk", 201),
        ("admin", 201),
        ("therapist", 403),
        ("billing", 403),
        ("patient_user", 403),
    ],
)
def test_who_may_create_a_patient(personas, login, persona, expected):
    client = login(getattr(personas, persona), api=True)
    response = client.post(
        "/api/patients/",
        {"legal_first_name": "New", "legal_last_name": "Person", "date_of_birth": "1990-01-02"},
        format="json",
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("front_desk", 200),
        ("admin", 200),
        ("therapist", 200),
        ("billing", 403),
        ("patient_user", 403),
        ("other_therapist", 404),
    ],
)
def test_who_may_edit_demographics(personas, login, persona, expected):
    client = login(getattr(personas, persona), api=True)
    response = client.patch(f"/api/patients/{personas.patient.pk}/", {"pronouns": "they/them"}, format="json")
    assert response.status_code == expected


def test_every_chart_read_writes_one_access_log_row(personas, login):
    client = login(personas.front_desk)
    before = AccessLog.objects.count()
    client.get(f"/patients/{personas.patient.pk}/", REMOTE_ADDR="10.1.2.3")
    row = AccessLog.objects.order_by("-id").first()
    assert AccessLog.objects.count() == before + 1
    assert (row.actor, row.action, row.allowed, row.patient_id, row.ip_address) == (
        personas.front_desk,
        "chart_view",
        True,
        personas.patient.pk,
        "10.1.2.3",
    )


def test_denied_chart_read_is_logged_as_denied(personas, login):
    client = login(personas.other_therapist, api=True)
    client.get(f"/api/patients/{personas.patient.pk}/")
    row = AccessLog.objects.order_by("-id").first()
    assert (row.actor, row.allowed) == (personas.other_therapist, False)


def test_front_desk_creates_a_patient_through_the_page_and_sees_it_in_the_api(personas, login):
    client = login(personas.front_desk)
    response = client.post(
        "/patients/new/",
        {
            "legal_first_name": "Rosa",
            "legal_last_name": "Quintero",
            "date_of_birth": "1979-03-04",
            "email": "rosa@example.test",
            "primary_therapist": personas.therapist.pk,
            "reminder_email": "on",
        },
    )
    assert response.status_code == 302
    api = login(personas.front_desk, api=True)
    rows = api.get("/api/patients/", {"search": "Quintero"}).json()["results"]
    assert [r["email"] for r in rows] == ["rosa@example.test"]
    assert rows[0]["chart_number"].startswith("C")


def test_invalid_input_answers_400_with_field_messages(personas, login):
    client = login(personas.front_desk, api=True)
    response = client.post("/api/patients/", {"legal_first_name": "", "date_of_birth": "not a date"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"legal_first_name", "legal_last_name", "date_of_birth"} <= set(fields)


def test_patient_search_matches_name_and_birth_date(personas, login):
    client = login(personas.front_desk)
    response = client.get("/patients/", {"q": personas.patient.date_of_birth.isoformat()})
    assert personas.patient.legal_last_name in response.content.decode()
    born = personas.patient.date_of_birth
    assert f"<td>{born:%B} {born.day}, {born.year}</td>" in response.content.decode(), "listed as the chart says it"
