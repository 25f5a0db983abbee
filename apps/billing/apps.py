from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from apps.core.transitions import reaction_register
        from apps.scheduling.models import AppointmentStatus

        from . import reactions

        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=[AppointmentStatus.COMPLETED, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW],
            name="billing.charge_session_outcome",
            run=reactions.charge_session_outcome,
        )
        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=[AppointmentStatus.BOOKED],
            name="billing.estimate_on_booking",
            run=reactions.estimate_on_booking,
            run_many=reactions.estimate_on_booking_many,
        )

        from apps.scheduling import extensions

        from .pricing import late_cancel_price
        from .services.reduced_fee_cap import reduced_fee_cap_enforce

        extensions.late_cancel_price.provide(late_cancel_price)
        extensions.reduced_fee_cap_enforce.provide(reduced_fee_cap_enforce)
