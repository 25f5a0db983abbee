"""Text with a NUL character in a request's body is refused at the door (400), before any view: Postgres text
cannot hold one, so a form field or a JSON string carrying it would otherwise fail at the database as a server
error, wherever a view writes what it was sent without a Django form (whose fields refuse it already)."""

import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .api_errors import error_body

MESSAGE = "Text cannot contain a NUL character (\\0); remove it and send again."
# A JSON escape for NUL: \u0000 whose backslash is not itself escaped (an odd run of backslashes before the u).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def _carries_nul(request) -> bool:
    """Whether the body's text does. A query string is left to the views: a search or a filter with a NUL finds
    nothing, or is refused by the filter naming its field."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if request.content_type == "application/json":
        return b"\x00" in request.body or _JSON_NUL.search(request.body) is not None
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return False  # an upload: not parsed here, before the view has checked who sends it
        # Read and kept first, so a view that checks the raw body's signature (a webhook) still can.
        _ = request.body
        # Uploaded files are bytes and may hold NULs; only the text fields are looked at.
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    return False


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse(error_body("invalid", MESSAGE), status=400)
            return HttpResponse(render_to_string("400.html", {"message": MESSAGE}, request=request), status=400)
        return self.get_response(request)
