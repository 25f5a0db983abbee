"""Encrypt the subjects of existing conversations into `subject_encrypted`, beside the plaintext column that the next
migration drops.

The keys are the app's own, read from settings (CLINIC_ENCRYPTION_KEYS) by apps.core.encryption when this runs, so
`migrate` needs the same keys as the web app; a subject is encrypted under the newest key like any new text."""

from django.db import migrations, models

from apps.core.encryption import decrypt_text, encrypt_text

BATCH_SIZE = 500


def _in_batches(rows, write) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            write(batch)
            batch = []
    if batch:
        write(batch)


def subjects_encrypt(apps, schema_editor):
    """Every thread whose subject is not encrypted yet gets it encrypted (running it again changes nothing)."""
    thread_model = apps.get_model("messaging", "MessageThread")
    threads = thread_model.objects.using(schema_editor.connection.alias)
    pending = threads.filter(subject_encrypted="").only("pk", "subject").order_by("pk")

    def write(batch):
        for thread in batch:
            thread.subject_encrypted = encrypt_text(thread.subject)
        threads.bulk_update(batch, ["subject_encrypted"])

    _in_batches(pending.iterator(chunk_size=BATCH_SIZE), write)


def subjects_decrypt(apps, schema_editor):
    """Going back: the plaintext column, which the reversed drop added back empty, gets the subjects again."""
    thread_model = apps.get_model("messaging", "MessageThread")
    threads = thread_model.objects.using(schema_editor.connection.alias)

    def write(batch):
        for thread in batch:
            thread.subject = decrypt_text(thread.subject_encrypted)
        threads.bulk_update(batch, ["subject"])

    _in_batches(threads.only("pk", "subject_encrypted").order_by("pk").iterator(chunk_size=BATCH_SIZE), write)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_threads_messages_attachments"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="messagethread",
            name="message_thread_has_subject",
        ),
        migrations.AddField(
            model_name="messagethread",
            name="subject_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(subjects_encrypt, subjects_decrypt),
    ]
