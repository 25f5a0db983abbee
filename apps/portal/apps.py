from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import note_two_step_at_sign_in

        user_logged_in.connect(note_two_step_at_sign_in, dispatch_uid="portal_two_step_at_sign_in")
