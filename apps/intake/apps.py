from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "apps.intake"
    label = "intake"

    def ready(self) -> None:
        from apps.core.transitions import reaction_register
        from apps.patients.extensions import treating_changed_register
        from apps.scheduling.models import AppointmentStatus

        from . import reactions
        from .services import open_answer_flags_notify

        treating_changed_register(open_answer_flags_notify)

        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=AppointmentStatus.BOOKED,
            name="intake.packet_on_new_series",
            run=reactions.packet_on_new_series,
            run_many=reactions.packet_on_new_series_many,
        )
