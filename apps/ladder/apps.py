from django.apps import AppConfig


class LadderConfig(AppConfig):
    """The care ladder: the rung each patient stands on (education, lecture series, group program, individual
    therapy, maintenance), how they moved between rungs, what comes next for them, and the clinic's ladder report."""

    name = "apps.ladder"
    label = "ladder"
