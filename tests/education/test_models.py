"""What the database itself refuses: a material item without a source, a link and a file at once, an item open
twice for one patient, an entry changed or deleted, an entry on a reading or on another patient's prompt."""

import pytest
from django.db import IntegrityError, InternalError, transaction

from apps.core.encryption import encrypt_text
from apps.education.models import Assignment, ItemKind, LibraryItem, PromptEntry

pytestmark = pytest.mark.django_db


def _refused(write) -> None:
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        write()


def test_a_reading_needs_a_link_or_a_file_and_never_both(personas):
    _refused(lambda: LibraryItem.objects.create(title="No source", kind=ItemKind.READING, created_by=personas.admin))
    _refused(
        lambda: LibraryItem.objects.create(
            title="Both",
            kind=ItemKind.READING,
            link="https://example.test/a",
            file="education/items/x.pdf",
            file_kind="application/pdf",
            file_size=10,
            created_by=personas.admin,
        )
    )
    prompt = LibraryItem.objects.create(title="A prompt", kind=ItemKind.JOURNALING_PROMPT, created_by=personas.admin)
    assert prompt.is_prompt


def test_an_uploaded_file_carries_its_kind_and_size(personas):
    _refused(
        lambda: LibraryItem.objects.create(
            title="Undescribed file", kind=ItemKind.READING, file="education/items/x.pdf", created_by=personas.admin
        )
    )


def test_an_item_is_open_once_per_patient_until_withdrawn(personas, shared_reading, reading):
    _refused(lambda: Assignment.objects.create(item=reading, patient=personas.patient, assigned_by=personas.therapist))
    Assignment.objects.filter(pk=shared_reading.pk).update(
        withdrawn_at=shared_reading.created_at, withdrawn_by=personas.therapist
    )
    again = Assignment.objects.create(item=reading, patient=personas.patient, assigned_by=personas.therapist)
    assert again.is_open


def test_journal_entries_never_change_and_are_never_deleted(personas, shared_prompt):
    entry = PromptEntry.objects.create(
        assignment=shared_prompt, patient=personas.patient, content_encrypted=encrypt_text("First words.")
    )
    _refused(lambda: PromptEntry.objects.filter(pk=entry.pk).update(content_encrypted=encrypt_text("Other words.")))
    _refused(lambda: PromptEntry.objects.filter(pk=entry.pk).delete())


def test_an_entry_answers_a_prompt_of_its_own_patient(personas, shared_prompt, shared_reading):
    _refused(
        lambda: PromptEntry.objects.create(
            assignment=shared_reading, patient=personas.patient, content_encrypted=encrypt_text("Not a prompt.")
        )
    )
    _refused(
        lambda: PromptEntry.objects.create(
            assignment=shared_prompt, patient=personas.other_patient, content_encrypted=encrypt_text("Not mine.")
        )
    )
