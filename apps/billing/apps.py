from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from apps.core.transitions import reaction_register
        from apps.scheduling.models import AppointmentStatus, ServiceType

        from . import reactions
        from .models import FeeSchedule, PovertyGuideline, SlidingScaleClass, SlidingScaleSchedule
        from .rates_kept import rates_forget

        # The kept fee configuration follows every save and delete of its rows, the admin's and a fixture's included
        # (the configuration service also forgets after its bulk inserts, which send no signal); it names the
        # services it prices, so a renamed or retired service moves it on too.
        for model in (FeeSchedule, PovertyGuideline, SlidingScaleClass, SlidingScaleSchedule, ServiceType):
            for signal in (post_save, post_delete):
                signal.connect(
                    lambda **kwargs: rates_forget(),
                    sender=model,
                    weak=False,
                    dispatch_uid=f"rates-{model.__name__}-{signal}",
                )
        # A database made again under the same name (a fresh demo, a reseeded benchmark) starts from a new version.
        post_migrate.connect(lambda **kwargs: rates_forget(), sender=self, weak=False, dispatch_uid="rates-migrate")

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

        from apps.accounts.extensions import reduced_fee_cap_blocker_register
        from apps.scheduling import extensions

        from .selectors.ledger import late_cancel_fees, session_charges
        from .selectors.reduced_fee_cap import reduced_fee_cap_refusal
        from .services.packages import outcome_previews
        from .services.reduced_fee_cap import reduced_fee_cap_enforce

        extensions.outcome_prices.provide(outcome_previews)
        extensions.session_charges.provide(session_charges)
        extensions.late_cancel_fees.provide(late_cancel_fees)
        extensions.reduced_fee_cap_enforce.provide(reduced_fee_cap_enforce)
        reduced_fee_cap_blocker_register(reduced_fee_cap_refusal)
