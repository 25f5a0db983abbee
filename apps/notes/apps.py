from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "apps.notes"
    label = "notes"

    def ready(self) -> None:
        from apps.accounts.extensions import discipline_change_blocker_register
        from apps.scheduling import extensions

        from .selectors import discipline_change_refusal, handover_refusal, note_links_for

        extensions.note_links.provide(note_links_for)
        extensions.handover_refusal.provide(handover_refusal)
        discipline_change_blocker_register(discipline_change_refusal)
