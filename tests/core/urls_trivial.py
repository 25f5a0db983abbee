"""The site's routes plus two pages that do nothing, to measure what every request costs before its view runs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from clinic.urls import urlpatterns as site_urlpatterns


@login_required
def nothing(request):
    return HttpResponse("ok")


urlpatterns = [path("trivial/staff/", nothing), path("portal/trivial/", nothing), *site_urlpatterns]
