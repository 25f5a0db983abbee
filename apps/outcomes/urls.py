from django.urls import path

from . import views

app_name = "outcomes"
urlpatterns = [
    path("flags/<int:pk>/review/", views.flag_review, name="flag_review"),
    path("journal/<int:pk>/", views.journal_entry, name="journal_entry"),
]
