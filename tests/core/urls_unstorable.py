"""The site's routes plus a page and an API view that hand the database a number it cannot store, as a view missing
an input check would, and a page whose own SQL is wrong (a division by zero)."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from clinic.urls import urlpatterns as site_urlpatterns


def _store_too_large_a_number() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 70000::smallint")


def _divide_by_zero() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")


def broken_page(request):
    _divide_by_zero()
    return HttpResponse("divided")


def page(request):
    _store_too_large_a_number()
    return HttpResponse("stored")


class Endpoint(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        _store_too_large_a_number()
        return HttpResponse("stored")


urlpatterns = [
    path("unstorable/", page),
    path("broken/", broken_page),
    path("api/unstorable/", Endpoint.as_view()),
    *site_urlpatterns,
]
