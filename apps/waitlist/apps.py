from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "apps.waitlist"
    label = "waitlist"

    def ready(self) -> None:
        from . import portal_views, services
        from .offers import OfferKind, offer_kind_register

        offer_kind_register(
            OfferKind(
                name=services.SLOT,
                due=services.slot_offers_due,
                expire=services.slot_offer_expire,
                answer_link=portal_views.slot_offer_link,
            )
        )
