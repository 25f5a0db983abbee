from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from apps.scheduling import extensions

        from .pricing import late_cancel_price

        extensions.late_cancel_price.provide(late_cancel_price)
