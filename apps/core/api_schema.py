"""The OpenAPI schema's error answers, documented once for every operation.

Every error the API gives has the one body `apps.core.api_errors.exception_handler` builds; this schema class adds
that body as the `Error` component and, to each operation, the error statuses it can really answer:

- 400 when the operation reads input (a request body, a filter in the query, or a page's `limit`/`offset`) or
  writes: serializer validation, a malformed body, an out-of-range page, or a service's plain ApplicationError.
- 403 when the view needs a signed-in user: not signed in (session authentication comes first, so DRF answers 403,
  never 401), staff without two-factor authentication, or not allowed.
- 404 when the route names an object by id.
- 409 and 422 for writes: a conflict (Conflict, InvalidTransition, a constraint the database enforces) and input
  the domain rules reject (Unprocessable).
- 415 when the operation takes a request body: a content type none of the parsers reads.
- 429 when the view is throttled, or when it needs a signed-in user and takes an authentication that limits
  failed attempts per client (`limits_failed_attempts`: API tokens).

Where an operation answers a status for a reason these rules cannot see (a 404 for an id in the body, a 422 from
a read), its view says so in `error_statuses`, keyed by action (or by method for plain API views).
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every error answer.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable reason: invalid, parse_error, not_authenticated, "
                    "permission_denied, not_found, conflict, possible_duplicate, invalid_transition, unprocessable, "
                    "throttled, ...",
                },
                "message": {"type": "string", "description": "A sentence for people."},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Messages by input field (`non_field_errors` for the input as a whole).",
                },
                "conflicting_appointment": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Booking conflict: the first appointment the slot collides with.",
                },
                "conflicts": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": True},
                    "description": "Booking conflict: every appointment the slot collides with.",
                },
                "unavailable": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Why the time is outside working hours or in time off.",
                },
                "dates": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": True},
                    "description": "Series conflict: the dates that could not be booked.",
                },
                "enrollment": {"type": "integer", "description": "Enrollment conflict: the live enrollment."},
                "therapist": {"type": "integer", "description": "Reduced-fee cap: the therapist whose cap it is."},
                "reduced_fee_cap": {"type": "integer", "description": "Reduced-fee cap: the therapist's cap."},
                "reduced_fee_patients": {
                    "type": "integer",
                    "description": "Reduced-fee cap: how many reduced-fee patients the therapist carries now.",
                },
                "duplicate_ids": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "Possible duplicate patient: the ids of the charts the new one may duplicate.",
                },
            },
            "required": ["code", "message"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}

ERROR_COMPONENT = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)

DESCRIPTIONS = {
    400: "Invalid input",
    401: "Not signed in",
    403: "Not signed in, two-factor authentication missing, or not allowed",
    404: "No such object, or one the user may not see",
    409: "Conflicts with the current state",
    422: "Rejected by the domain rules",
    415: "The request body's content type is not one the API reads",
    429: "Too many requests",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ClinicAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers each operation can give."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(ERROR_COMPONENT)
        responses = operation.setdefault("responses", {})
        for code in sorted(self.error_statuses(operation)):
            responses.setdefault(
                str(code),
                {"content": {"application/json": {"schema": ERROR_COMPONENT.ref}}, "description": DESCRIPTIONS[code]},
            )
        return operation

    def error_statuses(self, operation: dict) -> set[int]:
        parameters = operation.get("parameters", [])
        filters = {p["name"] for p in parameters if p["in"] == "query"}
        write = self.method in WRITES
        codes = set()
        if write or filters or "requestBody" in operation:
            codes.add(400)
        if not all(issubclass(permission, AllowAny) for permission in self.view.permission_classes):
            codes.add(403)
            if any(getattr(auth, "limits_failed_attempts", False) for auth in self.view.authentication_classes):
                codes.add(429)
        if "requestBody" in operation:
            codes.add(415)
        if any(p["in"] == "path" for p in parameters):
            codes.add(404)
        if write:
            codes |= {409, 422}
        if self.view.throttle_classes:
            codes.add(429)
        declared = getattr(self.view, "error_statuses", {})
        key = getattr(self.view, "action", None) or self.method.lower()
        return codes | set(declared.get(key, ()))


class TimeOfDayField(OpenApiSerializerFieldExtension):
    """Times of day (a series' local start, working hours) carry no UTC offset.

    drf-spectacular calls them `format: time`, which JSON Schema reads as RFC 3339 `full-time` and which needs an
    offset, so every "14:00:00" the API gives would be invalid; they are RFC 3339 `partial-time`.
    """

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "format": "partial-time",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "example": "14:00:00",
        }
