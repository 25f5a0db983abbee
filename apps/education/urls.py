"""The education library's staff pages (under /education/)."""

from django.urls import path

from . import views

app_name = "education"
urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.item_new, name="new"),
    path("<int:pk>/edit/", views.item_edit, name="edit"),
    path("<int:pk>/retire/", views.item_retire, name="retire"),
    path("<int:pk>/restore/", views.item_restore, name="restore"),
    path("<int:pk>/file/", views.item_file, name="file"),
    path("patients/<int:patient_id>/share/", views.assign, name="assign"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/withdraw/", views.assignment_withdraw, name="withdraw"),
]
