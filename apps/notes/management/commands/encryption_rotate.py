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

BATCH_SIZE = 500


def encrypted_columns() -> dict[str, list[str]]:
    """Every model's encrypted text columns (named `*_encrypted`, as every one is), found rather than listed, so a
    table added later is rotated too and an old key never becomes the only one that reads it."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        columns = [field.attname for field in model._meta.concrete_fields if field.attname.endswith("_encrypted")]
        if columns:
            found[model._meta.label] = columns
    return found


def _rotate_model(label: str, columns: list[str], batch_size: int) -> int:
    """Re-encrypt a model's `columns` in batches of rows in key order, one transaction a batch; returns how many
    values changed."""
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
                .values_list("pk", *columns)[:batch_size]
            )
            if not rows:
                return rotated
            for pk, *tokens in rows:
                changed = {
                    column: rotate_token(token)
                    for column, token in zip(columns, tokens, strict=True)
                    if token and not is_under_newest_key(token)
                }
                if changed:
                    model.objects.using(OWNER_DATABASE).filter(pk=pk).update(**changed)
                    rotated += len(changed)
            last_pk = rows[-1][0]


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (notes, addenda, process notes, treatment plans, journal entries, secure "
        "messages and their subjects, care level and referral reasons, the education library's notes and entries) "
        "under the newest key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, batch_size: int, **options):
        if not is_schema_owner(using=OWNER_DATABASE):
            raise CommandError(
                "DATABASE_OWNER_URL must connect as the role that owns the tables; "
                "the locks let only that role re-encrypt signed notes."
            )
        for label, columns in encrypted_columns().items():
            count = _rotate_model(label, columns, batch_size)
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(self.style.SUCCESS("All stored clinical text is under the newest key."))
