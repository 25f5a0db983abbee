"""The slot waitlist's pages. They are mounted inside the programs namespaces (staff `programs:`, patient
`portal:programs:`) under the paths and names they had there, so bookmarks and links in sent notices keep working."""

from django.urls import path

from . import portal_views, views

staff_urlpatterns = [
    path("slots/", views.slot_waitlist, name="slot_waitlist"),
    path("slots/<int:pk>/cancel/", views.slot_request_cancel, name="slot_request_cancel"),
    path("slots/freed/<int:pk>/withdraw/", views.freed_slot_withdraw, name="freed_slot_withdraw"),
]

portal_urlpatterns = [
    path("offers/<str:token>/", portal_views.offer_link, name="offer_link"),
    path("slots/", portal_views.slot_requests, name="slot_requests"),
    path("slots/<int:pk>/cancel/", portal_views.slot_request_cancel, name="slot_request_cancel"),
    path("slot-offers/<int:pk>/<str:action>/", portal_views.slot_offer_action, name="slot_offer_action"),
]
