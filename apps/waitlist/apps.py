from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "apps.waitlist"
    label = "waitlist"

    def ready(self) -> None:
        from apps.core.transitions import reaction_register
        from apps.scheduling import extensions
        from apps.scheduling.models import AppointmentStatus

        from . import portal_views, reactions, selectors, services
        from .offers import OfferKind, offer_kind_register

        reaction_register(
            model="scheduling.AppointmentTransition",
            to_status=[AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED],
            name="waitlist.slot_offer_when_series_ends",
            run=reactions.slot_offer_when_series_ends,
        )

        # An office holding freed weekly times keeps its zone and stays open, as for its booked sessions.
        extensions.office_change_refusal.provide(selectors.office_change_refusal)

        # A discharge declines the patient's open weekly-time offers, so each time passes on.
        from apps.patients.extensions import discharged_register

        discharged_register(services.slot_offers_decline_on_discharge)
        offer_kind_register(
            OfferKind(
                name=services.SLOT,
                due=services.slot_offers_due,
                expire=services.slot_offer_expire,
                answer_link=portal_views.slot_offer_link,
            )
        )
