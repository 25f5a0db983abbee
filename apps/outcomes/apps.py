from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "apps.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from apps.patients.extensions import treating_changed_register

        from .services import open_flags_notify

        treating_changed_register(open_flags_notify)
