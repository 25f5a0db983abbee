from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "apps.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from apps.accounts.navigation import nav_badge_register
        from apps.scheduling.extensions import booking_checks

        from .clearance import clearance_booking_check
        from .selectors import queue_rows

        booking_checks.register(clearance_booking_check)
        nav_badge_register("referrals:queue", queue_rows)
