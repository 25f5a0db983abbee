"""Public lecture pages, mounted under /lectures/ (namespace lectures)."""

from django.urls import path

from . import public_views

app_name = "lectures"
urlpatterns = [
    path("", public_views.lecture_list, name="list"),
    path("<int:pk>/", public_views.lecture_detail, name="detail"),
    path("registration/<str:token>/", public_views.registration_manage, name="manage"),
    path("registration/<str:token>/cancel/", public_views.registration_cancel, name="cancel"),
    path("offers/<str:token>/", public_views.offer_link, name="offer_link"),
]
