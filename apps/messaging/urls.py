"""The clinic's inbox of patients' secure messages (under /inbox/)."""

from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.thread_new, name="new"),
    path("<int:pk>/", views.thread_detail, name="thread"),
    path("<int:pk>/close/", views.thread_close, name="close"),
    path("<int:pk>/hand-over/", views.thread_hand_over, name="hand_over"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
]
