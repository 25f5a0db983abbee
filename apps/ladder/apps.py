from django.apps import AppConfig


class LadderConfig(AppConfig):
    """The care ladder: the rung each patient stands on (education, lecture series, group program, individual
    therapy, maintenance), how they moved between rungs, what comes next for them, and the clinic's ladder report."""

    name = "apps.ladder"
    label = "ladder"

    def ready(self) -> None:
        from apps.patients.extensions import discharged_register

        from .services import care_level_leave_on_discharge

        discharged_register(care_level_leave_on_discharge)
