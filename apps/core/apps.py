from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .database_roles import database_privileges_apply
        from .models import ClinicSettings, clinic_settings_forget

        post_migrate.connect(database_privileges_apply, sender=self)
        post_save.connect(clinic_settings_forget, sender=ClinicSettings)
        post_delete.connect(clinic_settings_forget, sender=ClinicSettings)
