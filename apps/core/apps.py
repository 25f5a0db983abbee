from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .database_roles import database_privileges_apply

        post_migrate.connect(database_privileges_apply, sender=self)
