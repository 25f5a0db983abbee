from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "apps.notes"
    label = "notes"

    def ready(self) -> None:
        from apps.scheduling import extensions

        from .selectors import handover_refusal, note_links_for

        extensions.note_links.provide(note_links_for)
        extensions.handover_refusal.provide(handover_refusal)
