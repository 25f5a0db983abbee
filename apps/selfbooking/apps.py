from django.apps import AppConfig


class SelfBookingConfig(AppConfig):
    name = "apps.selfbooking"
    label = "selfbooking"

    def ready(self) -> None:
        from apps.accounts.navigation import nav_shown_register

        from .selectors import booking_offered

        # A patient whose intake is on record and who has no first session to move would only be told there that
        # online booking is not for them: the menu leaves the entry off (the sessions page says how to ask instead).
        nav_shown_register(
            "portal:booking:therapists",
            lambda user: (patient := getattr(user, "patient", None)) is not None and booking_offered(patient=patient),
        )
