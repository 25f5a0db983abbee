"""The OpenAPI schema documents the API's error answers, with the one body the exception handler gives."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import NotFound
from rest_framework.test import APIRequestFactory

from apps.core.api_errors import exception_handler
from apps.core.errors import Conflict, Unprocessable

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _errors(schema, path: str, method: str) -> set[str]:
    responses = schema["paths"][path][method]["responses"]
    return {code for code, answer in responses.items() if answer["content"]["application/json"]["schema"] == ERROR_REF}


def _error_body(exc) -> dict:
    request = APIRequestFactory().get("/api/")
    return exception_handler(exc, {"request": request, "view": None}).data


def test_every_error_answer_of_every_operation_is_the_error_component(schema):
    documented = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    assert answer["content"]["application/json"]["schema"] == ERROR_REF, (method, path, code)
                    documented += 1
    assert documented > 200


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/patients/", "get", {"400", "403", "429"}),
        ("/api/patients/{id}/", "get", {"403", "404", "429"}),
        ("/api/patients/{id}/", "patch", {"400", "403", "404", "409", "415", "422", "429"}),
        ("/api/appointments/", "post", {"400", "403", "409", "415", "422", "429"}),
        ("/api/programs/{id}/enroll/", "post", {"400", "403", "404", "409", "415", "422", "429"}),
        ("/api/enrollments/{id}/withdraw/", "post", {"400", "403", "404", "409", "415", "422", "429"}),
        ("/api/notes/", "post", {"400", "403", "404", "409", "415", "422", "429"}),
        ("/api/measure-responses/", "get", {"400", "403", "404", "429"}),
        ("/api/sliding-scale/quote", "get", {"400", "422", "429"}),
    ],
)
def test_operations_document_the_errors_they_can_answer(schema, path, method, codes):
    assert _errors(schema, path, method) == codes


def test_reads_without_input_document_no_validation_error(schema):
    assert "400" not in _errors(schema, "/api/therapists/{id}/", "get")
    assert "404" not in _errors(schema, "/api/therapists/", "get")


def test_the_public_quote_needs_no_sign_in(schema):
    assert "403" not in _errors(schema, "/api/sliding-scale/quote", "get")


@pytest.mark.parametrize(
    "exc",
    [
        NotFound("No such patient."),
        Unprocessable("Choose the patient.", fields={"patient": ["Required for an individual session."]}),
        Conflict("Taken.", extra={"conflicting_appointment": {"id": 1}, "conflicts": [{"id": 1}]}),
        Conflict("Already enrolled.", extra={"enrollment": 3}),
    ],
)
def test_the_error_component_describes_the_body_the_exception_handler_gives(schema, exc):
    jsonschema.validate(_error_body(exc), schema["components"]["schemas"]["Error"])


def test_an_api_route_that_matches_nothing_answers_the_error_body(personas, login):
    response = login(personas.admin, api=True).get("/api/appointments/not-an-id/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_pages_that_match_nothing_keep_the_html_404_and_api_routes_still_append_the_slash(personas, login):
    client = login(personas.admin)
    page = client.get("/patients/not-a-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert client.get("/api/patients").status_code == 301
