from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Secure messages"

    def ready(self) -> None:
        from apps.accounts.navigation import nav_badge_register

        from .selectors import unread_threads_for

        # The menu's unread count comes from here; accounts only knows that some entry may carry a count.
        nav_badge_register("messaging:inbox", unread_threads_for)
        nav_badge_register("portal:messages", unread_threads_for)
