"""The migration that encrypts the subjects of conversations written before subjects were encrypted.

Migrations run as the owner role, so this module connects as the owner. Each test steps the schema back to where
the plaintext column still stands beside the encrypted one, inside the test's transaction: rolling it back at the
end puts the schema back as it was."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core import clock
from apps.core.encryption import decrypt_text, encrypt_text
from apps.messaging.models import MessageThread
from tests.migrating import migrate_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]

BEFORE_THE_DROP = ("messaging", "0002_encrypt_thread_subjects")
AFTER_THE_DROP = ("messaging", "0003_drop_plaintext_thread_subject")
data_migration = import_module("apps.messaging.migrations.0002_encrypt_thread_subjects")
subjects_encrypt, subjects_decrypt = data_migration.subjects_encrypt, data_migration.subjects_decrypt

SUBJECT = "Panic attacks since Tuesday"


def _columns() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'messaging_messagethread'"
        )
        return [name for (name,) in cursor.fetchall()]


def _latest() -> tuple[str, str]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes("messaging")[0]


def test_an_existing_plaintext_subject_is_encrypted_and_the_plaintext_column_goes(personas):
    executor = migrate_to(BEFORE_THE_DROP)
    old_state = executor.loader.project_state(BEFORE_THE_DROP)
    old_thread_model = old_state.apps.get_model("messaging", "MessageThread")
    # Written as the code before encryption wrote it: the subject in plaintext, nothing encrypted yet.
    thread = old_thread_model.objects.create(
        patient_id=personas.patient.pk,
        subject=SUBJECT,
        subject_encrypted="",
        started_by_id=personas.patient_user.pk,
        last_message_at=clock.now(),
    )

    with connection.schema_editor() as schema_editor:
        subjects_encrypt(old_state.apps, schema_editor)
        token = old_thread_model.objects.get(pk=thread.pk).subject_encrypted
        subjects_encrypt(old_state.apps, schema_editor)  # again: already encrypted, left as it is

    assert "Panic" not in token and decrypt_text(token) == SUBJECT
    assert old_thread_model.objects.get(pk=thread.pk).subject_encrypted == token

    migrate_to(AFTER_THE_DROP)
    assert "subject" not in _columns() and "subject_encrypted" in _columns()
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM messaging_messagethread t WHERE id = %s", [thread.pk])
        assert "Panic" not in cursor.fetchone()[0]
    migrate_to(_latest())  # the columns later migrations add, which the model reads
    assert MessageThread.objects.get(pk=thread.pk).subject == SUBJECT


def test_going_back_puts_the_subject_in_the_plaintext_column_again(personas):
    thread = MessageThread.objects.create(
        patient=personas.patient,
        subject_encrypted=encrypt_text(SUBJECT),
        started_by=personas.patient_user,
        last_message_at=clock.now(),
    )
    executor = migrate_to(BEFORE_THE_DROP)  # the plaintext column comes back, empty
    old_state = executor.loader.project_state(BEFORE_THE_DROP)
    with connection.schema_editor() as schema_editor:
        subjects_decrypt(old_state.apps, schema_editor)
    assert old_state.apps.get_model("messaging", "MessageThread").objects.get(pk=thread.pk).subject == SUBJECT
