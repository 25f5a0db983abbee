from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Secure messages"

    def ready(self) -> None:
        from apps.accounts.navigation import nav_badge_register, nav_gate_register

        from .selectors import inbox_menu_gate, inbox_menu_unread, unread_threads_for

        # The menu's unread count comes from here; accounts only knows that some entry may carry a count, and that
        # some entries show only while a row exists (a therapist's inbox, while they take messages).
        nav_badge_register("messaging:inbox", inbox_menu_unread)
        nav_gate_register("messaging:inbox", inbox_menu_gate)
        nav_badge_register("portal:messages", unread_threads_for)
