"""Encryption at rest for clinical and private text (notes, addenda, process notes, journal entries, secure
messages and their subjects, and the other `*_encrypted` columns `encryption_rotate` finds by name), and the record
files prepared for download (kept for days, then deleted; not re-encrypted by a rotation).

Keys come from settings.CLINIC_ENCRYPTION_KEYS, newest first. New text is always encrypted
under the newest key; any listed key can decrypt, so a key is retired by adding a new one in
front, running `manage.py encryption_rotate`, then removing the old one.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

# Session variable by which the rotation command declares "this update only re-encrypts the same text". The lock
# triggers honour it only in a session of the tables' owner role (see reencrypt_only below).
REENCRYPT_SETTING = "clinic.reencrypting"


def reencrypt_only(column: str) -> str:
    """SQL: true when the update changes `column` outside a key rotation.

    A rotation is the table owner's session that also declared it (the rotation command connects as the
    owner role and sets the session variable). Any role can set a session variable, so the variable alone
    lets nothing through; the app role owns nothing, so its updates never count as a rotation.
    """
    declared = f"coalesce(current_setting('{REENCRYPT_SETTING}', true), '') = 'on'"
    table_owner = "pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')"
    return f"(NEW.{column} IS DISTINCT FROM OLD.{column} AND NOT ({declared} AND {table_owner}))"


def kept_encrypted_row_sql(
    *,
    rows: str,
    row: str,
    columns: tuple[str, ...],
    also: tuple[str, ...] = (),
    encrypted: str = "content_encrypted",
) -> str:
    """SQL body of the trigger that keeps a row of someone's encrypted words (core.models.kept_row_trigger): never
    deleted; its id and `columns` never change, nor its text (the `encrypted` column) outside a key rotation.
    `also` adds conditions that refuse an update too (a read mark set only once). `rows` and `row` name it in the
    errors."""
    refused = "\n   OR ".join(
        [f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in ("id", *columns)]
        + list(also)
        + [reencrypt_only(encrypted)]
    )
    return f"""
IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '{rows} are part of the record and cannot be deleted' USING ERRCODE = '23000';
END IF;
IF {refused} THEN
    RAISE EXCEPTION '{row} % cannot change', OLD.id USING ERRCODE = '23000';
END IF;
RETURN NEW;
"""


class DecryptionError(Exception):
    """Stored text could not be decrypted with any configured key. Carries no ciphertext."""


@lru_cache(maxsize=1)
def _fernets() -> tuple[MultiFernet, Fernet]:
    keys = list(getattr(settings, "CLINIC_ENCRYPTION_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("CLINIC_ENCRYPTION_KEYS must list at least one key")
    try:
        fernets = [Fernet(key) for key in keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("CLINIC_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc
    return MultiFernet(fernets), fernets[0]


@receiver(setting_changed)
def _reset_keys(*, setting, **kwargs) -> None:
    if setting == "CLINIC_ENCRYPTION_KEYS":
        _fernets.cache_clear()


def encrypt_text(plaintext: str) -> str:
    multi, _newest = _fernets()
    return multi.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    multi, _newest = _fernets()
    try:
        return multi.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError("Stored text cannot be decrypted with the configured keys") from None


def encrypt_bytes(data: bytes) -> bytes:
    """A file's bytes (a prepared record PDF), under the newest key like any text."""
    multi, _newest = _fernets()
    return multi.encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    multi, _newest = _fernets()
    try:
        return multi.decrypt(token)
    except InvalidToken:
        raise DecryptionError("Stored file cannot be decrypted with the configured keys") from None


def encrypt_json(value) -> str:
    return encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True))


def decrypt_json(token: str):
    text = decrypt_text(token)
    return json.loads(text) if text else {}


def is_under_newest_key(token: str) -> bool:
    _multi, newest = _fernets()
    try:
        newest.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate_token(token: str) -> str:
    """The same plaintext, re-encrypted under the newest key."""
    multi, _newest = _fernets()
    try:
        return multi.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError("Stored text cannot be decrypted with the configured keys") from None
