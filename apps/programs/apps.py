from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "apps.programs"
    label = "programs"

    def ready(self) -> None:
        from apps.core.transitions import reaction_register
        from apps.scheduling.models import AppointmentStatus

        from . import reactions

        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=[AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED],
            name="programs.slot_offer_when_series_ends",
            run=reactions.slot_offer_when_series_ends,
        )
