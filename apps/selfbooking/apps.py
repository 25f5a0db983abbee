from django.apps import AppConfig


class SelfBookingConfig(AppConfig):
    name = "apps.selfbooking"
    label = "selfbooking"

    def ready(self) -> None:
        from apps.accounts.navigation import nav_gate_register

        from .selectors import booking_menu_gate

        # A patient whose intake is on record and who has no first session to move would only be told there that
        # online booking is not for them: the menu leaves the entry off (the sessions page says how to ask instead),
        # asked in the menu's count query, as is an account without a patient record, which has nothing to book.
        nav_gate_register("portal:booking:therapists", booking_menu_gate)
