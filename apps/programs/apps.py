from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "apps.programs"
    label = "programs"
