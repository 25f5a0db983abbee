from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "apps.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from apps.core.transitions import reaction_register

        from . import reminders
        from .models import AppointmentStatus

        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=AppointmentStatus.BOOKED,
            name="scheduling.reminders_queue",
            run=reminders.reminders_on_booked,
            run_many=reminders.reminders_on_booked_many,
        )
        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=[AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW],
            name="scheduling.reminders_withdraw",
            run=reminders.reminders_on_ended,
        )
