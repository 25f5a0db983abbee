"""A page sent a value the database cannot store (longer than its column, a number past its precision, a date past
its range) answers 400 with the site's "could not be sent" page and the API's words for it (api_errors), not a server
error. Forms and services refuse such values first, naming the field; this answers for one that slips past them."""

from django.http import HttpResponse
from django.template.loader import render_to_string

from .api_errors import UNSTORABLE, is_unstorable


class RefuseUnstorableValuesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_unstorable(exception):
            return None
        return HttpResponse(render_to_string("400.html", {"message": UNSTORABLE}, request=request), status=400)
