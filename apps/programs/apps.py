from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "apps.programs"
    label = "programs"

    def ready(self) -> None:
        from apps.scheduling import extensions

        from .selectors import member_meetings_during, member_meetings_warning

        extensions.group_meetings_during.provide(member_meetings_during)
        extensions.group_meetings_warning.provide(member_meetings_warning)
