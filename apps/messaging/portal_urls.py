"""Patient portal paths for secure messages (included under /portal/, names in "portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("messages/", portal_views.thread_list, name="messages"),
    path("messages/new/", portal_views.thread_new, name="message_new"),
    path("messages/<int:pk>/", portal_views.thread_detail, name="message_thread"),
    path("messages/files/<int:pk>/", portal_views.attachment, name="message_attachment"),
]
