"""The framework's floor: the clinic's own Django project (its settings, middleware, session, sign-in, MFA check,
menu and layouts) answering requests that read and render nothing of their own. Served by the same gunicorn
command with `bench.framework_settings`, which adds these routes in front of the clinic's. A page's time above
this floor plus its SQL floor is the page's own work; the bare WSGI hello-world is what the framework adds."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import urls as clinic_urls

_STAFF_PAGE = engines["django"].from_string('{% extends "staff_base.html" %}{% block title %}Empty{% endblock %}')
_PORTAL_PAGE = engines["django"].from_string('{% extends "portal/base.html" %}{% block title %}Empty{% endblock %}')


@login_required
@require_GET
def staff_page(request):
    """An empty staff page: the staff layout and its menu, nothing else."""
    return _page(request, _STAFF_PAGE)


@login_required
@require_GET
def staff_json(request):
    """An empty JSON answer to a signed-in member of staff (the week calendar's kind of request)."""
    return JsonResponse({"events": []})


@login_required
@require_GET
def portal_page(request):
    """An empty portal page: the portal's layout, nothing else."""
    return _page(request, _PORTAL_PAGE)


def _page(request, template) -> HttpResponse:
    return HttpResponse(template.render({}, request))


class Api(APIView):
    """An empty API answer behind the API's authentication and permissions (GET or POST)."""

    def get(self, request):
        return Response({})

    def post(self, request):
        return Response({})


class PublicApi(APIView):
    """An empty public API answer, as the fee quote is public."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({})


# Each measured request's kind and the empty request of that kind.
PATHS = {
    "staff_page": "/bench-floor/staff-page/",
    "staff_json": "/bench-floor/staff-json/",
    "portal_page": "/bench-floor/portal-page/",
    "api": "/bench-floor/api/",
    "public_api": "/bench-floor/public-api/",
}

urlpatterns = [
    path("bench-floor/staff-page/", staff_page),
    path("bench-floor/staff-json/", staff_json),
    path("bench-floor/portal-page/", portal_page),
    path("bench-floor/api/", Api.as_view()),
    path("bench-floor/public-api/", PublicApi.as_view()),
    *clinic_urls.urlpatterns,
]
handler403 = clinic_urls.handler403
handler404 = clinic_urls.handler404
