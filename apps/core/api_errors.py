"""One error body for the whole API: {"error": {"code", "message", "fields"?, ...}}."""

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError

# A value the database cannot store (longer than its column, a number past its precision, a date past its range) is
# bad input. Serializers, forms and services refuse such values first, naming the field; this is said when one
# slips past them, never a server error.
UNSTORABLE = "A value sent is too long or out of range; check what was entered and send it again."

# What Postgres says of a value it cannot store: too long for its column (22001), a number out of range (22003), a
# date or time out of range (22008). Every other data error (a division by zero, a bad cast in the SQL) is ours.
UNSTORABLE_SQLSTATES = frozenset({"22001", "22003", "22008"})


def is_unstorable(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing a value it cannot store, rather than an error of the clinic's SQL."""
    return isinstance(exc, DataError) and getattr(exc.__cause__, "sqlstate", None) in UNSTORABLE_SQLSTATES


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, fields=exc.fields, **exc.extra), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages) or "Invalid input."
        return Response(error_body("invalid", message, fields=fields), status=status.HTTP_400_BAD_REQUEST)
    if is_unstorable(exc):
        return Response(error_body("invalid", UNSTORABLE), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response(
            error_body("conflict", "The change conflicts with existing records."), status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("invalid", "Some fields are not valid.", fields=fields)
    else:
        code = getattr(exc, "default_code", "error")
        response.data = error_body(code, str(getattr(exc, "detail", exc)))
    return response


# get_object_or_404's own words ("No GroupProgram matches the given query.") name a model class, which tells a reader
# nothing they can act on; the sentences the views raise themselves ("This link has expired: ...") are shown.
LOOKUP_MISS = re.compile(r"No \w+ matches the given query\.")


def page_not_found(request, exception):
    """The site's 404: under /api/ the API's error body, so every API 404 has the documented shape; a page says,
    in the site's own layout, why (when the view said so) and, to someone signed out, how to reach the clinic, so a
    patient following a dead link from an email is not left on a bare server page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    said = exception.args[0] if exception is not None and exception.args else None
    message = said if isinstance(said, str) and not LOOKUP_MISS.fullmatch(said) else ""
    return render(request, "404.html", {"message": message}, status=404)
