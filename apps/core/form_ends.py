"""The page someone sees who opens, by GET, an address that only takes a form's POST: a reload or Back after the
form was sent, an old bookmark, a pasted link. Django's 405 for it (require_POST, a view's http_method_not_allowed)
has an empty body, which a browser shows as its own bare error page with no way back into the clinic."""

from urllib.parse import urlsplit

from django.http import HttpResponseNotAllowed
from django.shortcuts import render

from .layouts import layout_for
from .links import safe_next_path


class FormEndPageMiddleware:
    """Gives Django's empty 405 a page in the site's layout when a person navigated there: status and Allow stay.

    Only GET and HEAD get it: that is how a person lands on a form's end. A POST to a page that only shows, or a
    PUT or DELETE, comes from a form or a script that is wrong, and keeps the plain 405. The API (and anything that
    asks for JSON) keeps its own answer; DRF's 405 is not an HttpResponseNotAllowed, so it never reaches here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not self._wants_the_page(request, response):
            return response
        context = {"layout": layout_for(getattr(request, "user", None)), "back": _came_from(request)}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = response["Allow"]
        # require_POST already logged this 405; without the mark Django's handler logs the new answer a second time.
        page._has_been_logged = getattr(response, "_has_been_logged", False)
        return page

    @staticmethod
    def _wants_the_page(request, response) -> bool:
        return (
            isinstance(response, HttpResponseNotAllowed)
            and not response.content
            and request.method in ("GET", "HEAD")
            and not request.path_info.startswith("/api/")
            and request.get_preferred_type(["text/html", "application/json"]) == "text/html"
        )


def _came_from(request) -> str | None:
    """The page this visit came from, as a path, when the Referer is this very origin (scheme and host) and not
    this same address; else None and the page offers Home. Never another site: the link must not redirect out."""
    referer = urlsplit(request.headers.get("Referer", ""))
    if (referer.scheme, referer.netloc) != (request.scheme, request.get_host()) or referer.path == request.path:
        return None
    return safe_next_path(request, referer.path + (f"?{referer.query}" if referer.query else ""))
