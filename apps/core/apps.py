from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .database_roles import database_privileges_apply
        from .models import ClinicSettings
        from .settings_kept import clinic_settings_forget

        post_migrate.connect(database_privileges_apply, sender=self)
        # The kept settings row follows every save and delete of it, the admin's and a fixture's included, and a
        # database made again under the same name starts from a new version.
        post_save.connect(clinic_settings_forget, sender=ClinicSettings)
        post_delete.connect(clinic_settings_forget, sender=ClinicSettings)
        post_migrate.connect(clinic_settings_forget, sender=self, dispatch_uid="clinic-settings-migrate")
