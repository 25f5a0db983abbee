from django.apps import AppConfig


class SelfBookingConfig(AppConfig):
    name = "apps.selfbooking"
    label = "selfbooking"
