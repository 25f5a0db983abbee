from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "apps.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.accounts.extensions import staff_deactivated_register, therapist_role_taken_register
        from apps.core.transitions import reaction_register
        from apps.notifications.send_guards import send_guard_register
        from apps.patients.extensions import discharge_blocker_register, reminder_details_changed_register

        from . import reminders, selectors, services
        from .models import AppointmentStatus, Location
        from .zones import zones_forget

        discharge_blocker_register(selectors.discharge_blocker)
        reminder_details_changed_register(reminders.patient_reminders_replan)
        staff_deactivated_register(services.calendar_feed_on_practice_ended)
        therapist_role_taken_register(services.calendar_feed_on_practice_ended)
        # The kept zones follow every save of a location, the admin's and a fixture's included.
        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: zones_forget(), sender=Location, weak=False, dispatch_uid=f"zones-{signal}")

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
        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=AppointmentStatus.BOOKED,
            name="scheduling.treating_changed",
            run=services.treating_changed_on_booked,
            run_many=services.treating_changed_on_booked_many,
        )
        send_guard_register(purposes=reminders.REMINDER_PURPOSES, guard=reminders.session_reminders_outdated)
