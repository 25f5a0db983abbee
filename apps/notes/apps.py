from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "apps.notes"
    label = "notes"

    def ready(self) -> None:
        from apps.accounts.extensions import (
            cosigner_leaving_blocker_register,
            discipline_change_blocker_register,
            staff_page_section_register,
        )
        from apps.scheduling import extensions

        from .selectors import cosigner_leaving_refusal, discipline_change_refusal, handover_refusal, note_links_for
        from .views import cosigns_hand_over_section

        extensions.note_links.provide(note_links_for)
        extensions.handover_refusal.provide(handover_refusal)
        discipline_change_blocker_register(discipline_change_refusal)
        cosigner_leaving_blocker_register(cosigner_leaving_refusal)
        staff_page_section_register(cosigns_hand_over_section)
