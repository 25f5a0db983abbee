"""Schema-driven fuzzing of the REST API: every documented operation, as any role, answers as its schema says.

No answer is a server error, every status is one the operation documents (errors included), with a documented
content type, and every JSON body matches the schema documented for its status.

The OpenAPI document is the one drf-spectacular serves to staff at /api/schema/, made in-process as that view makes
it (the page itself wants a signed-in staff member, and nobody is signed in while tests are collected), and every
request goes through the WSGI application (middleware, token authentication, exception handler) in-process, against
the demo clinic in the test database.

Each example acts as one of admin, front desk, billing, a therapist or a patient (drawn per example), with valid
(positive) and invalid (negative) input. Ids in paths, bodies and queries are often swapped for ids that exist, so
requests reach past the 404 and the "no such patient" 400 into the services. Examples are bounded and derandomized
so a CI run is quick and reproducible; CLINIC_FUZZ_SCALE=10 searches ten times deeper.
"""

import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

application = get_wsgi_application()
document = OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True), renderer_context={})
schema = schemathesis.openapi.from_dict(json.loads(document))
schema.app = application

OPERATIONS = [result.ok() for result in schema.get_all_operations()]
ROLES = ["admin", "front_desk", "billing", "therapist", "patient"]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.django_db


def _max_examples(operation) -> int:
    # Writes are where input reaches the services; reads mostly parse a query and scope a queryset.
    # CLINIC_FUZZ_SCALE=10 runs a deeper search locally; CI keeps the default.
    base = 4 if operation.method.upper() == "GET" else 10
    return base * int(os.environ.get("CLINIC_FUZZ_SCALE", "1"))


def _existing(pool, data, value):
    """Half the time, an id that exists instead of the generated one."""
    if not pool or not data.draw(st.booleans(), label="use an existing id"):
        return value
    if isinstance(value, list):
        return data.draw(st.lists(st.sampled_from(pool), max_size=3, unique=True), label="existing ids")
    return data.draw(st.sampled_from(pool), label="existing id")


def _towards_existing_rows(case, data, clinic) -> None:
    collection = case.operation.path.split("{")[0]
    for name in case.path_parameters or {}:
        case.path_parameters[name] = _existing(clinic.collections.get(collection), data, case.path_parameters[name])
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name, value in container.items():
            if isinstance(value, (int, list)) and not isinstance(value, bool):
                container[name] = _existing(clinic.references.get(name), data, value)


def _fuzz(operation, mode, clinic, server_errors) -> None:
    @settings(
        max_examples=_max_examples(operation),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def fuzz(case, data):
        role = data.draw(st.sampled_from(ROLES), label="role")
        _towards_existing_rows(case, data, clinic)
        server_errors.clear()
        response = case.call(headers={"Authorization": f"Token {clinic.tokens[role]}"})
        if server_errors:
            print(f"--- as {role}, {mode.value} input:\n{server_errors[-1]}")
        case.validate_response(response, checks=CHECKS)

    try:
        fuzz()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid input to generate.
        if mode is not GenerationMode.NEGATIVE:
            raise


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_answers_as_documented(operation, fuzz_clinic, server_errors):
    for mode in MODES:
        _fuzz(operation, mode, fuzz_clinic, server_errors)
