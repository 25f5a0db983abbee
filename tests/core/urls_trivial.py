"""The site's routes plus two pages and an API answer that do nothing, to measure what every request costs before its
view runs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.urls import urlpatterns as site_urlpatterns


@login_required
def nothing(request):
    return HttpResponse("ok")


class NothingApi(APIView):
    """Behind the API's default authentication and permissions."""

    def get(self, request):
        return Response({})


urlpatterns = [
    path("trivial/staff/", nothing),
    path("portal/trivial/", nothing),
    path("api/trivial/", NothingApi.as_view()),
    *site_urlpatterns,
]
