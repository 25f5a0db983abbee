"""Re-encrypt stored clinical text under the newest key in CLINIC_ENCRYPTION_KEYS.

Rotation: put the new key first in CLINIC_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then drop the old keys. Safe to re-run: rows already under the newest key
are skipped. Signed notes, addenda and signed treatment plans stay locked; the lock triggers let through only this
re-encryption of the same text, and only from the tables' owner role: the command connects
through the "owner" database alias (DATABASE_OWNER_URL), never as the app role.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from apps.core.database_roles import OWNER_DATABASE, is_schema_owner
from apps.core.encryption import REENCRYPT_SETTING, is_under_newest_key, rotate_token

ENCRYPTED_MODELS = [
    "notes.SessionNote",
    "notes.Addendum",
    "notes.PsychotherapyNote",
    "notes.Problem",
    "notes.Goal",
    "notes.Intervention",
    "outcomes.JournalEntry",
    "messaging.Message",
    "ladder.CareLevelMove",
    "education.Assignment",
    "education.PromptEntry",
]
BATCH_SIZE = 500


def _rotate_model(label: str, batch_size: int) -> int:
    model = apps.get_model(label)
    rotated = 0
    last_pk = 0
    while True:
        with transaction.atomic(using=OWNER_DATABASE):
            with connections[OWNER_DATABASE].cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])
            rows = list(
                model.objects.using(OWNER_DATABASE)
                .select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", "content_encrypted")[:batch_size]
            )
            if not rows:
                return rotated
            for pk, token in rows:
                if token and not is_under_newest_key(token):
                    model.objects.using(OWNER_DATABASE).filter(pk=pk).update(content_encrypted=rotate_token(token))
                    rotated += 1
            last_pk = rows[-1][0]


class Command(BaseCommand):
    help = (
        "Re-encrypt notes, addenda, process notes, treatment plans, journal entries, secure messages, care level "
        "reasons and the education library's notes and entries under the newest key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, batch_size: int, **options):
        if not is_schema_owner(using=OWNER_DATABASE):
            raise CommandError(
                "DATABASE_OWNER_URL must connect as the role that owns the tables; "
                "the locks let only that role re-encrypt signed notes."
            )
        for label in ENCRYPTED_MODELS:
            count = _rotate_model(label, batch_size)
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(self.style.SUCCESS("All stored clinical text is under the newest key."))
