"""Patient portal paths for the education library (included under /portal/, names in "portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("library/", portal_views.library, name="library"),
    path("library/<int:pk>/", portal_views.item, name="library_item"),
    path("library/<int:pk>/done/", portal_views.mark_done, name="library_done"),
    path("library/<int:pk>/file/", portal_views.item_file, name="library_file"),
]
