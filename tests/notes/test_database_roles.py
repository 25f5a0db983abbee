"""The signed-note lock holds against the app role's own connection, not only against the services.

Tests run as the app role (tests/conftest.py), the role the web app and workers use; only the owner role,
which runs migrations and key rotation, may re-encrypt a signed note (docs/database-roles.md).
"""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, ProgrammingError, connection, connections, transaction

from apps.core.database_roles import OWNER_DATABASE
from apps.core.encryption import REENCRYPT_SETTING, decrypt_json, encrypt_json
from apps.notes.models import SessionNote
from apps.notes.services import addendum_add, note_create, note_sign

from .conftest import complete_progress_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(personas, past_session, progress_template):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    return note_sign(actor=personas.therapist, note=note, attest=True)


def _lock_trigger_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid IN ('notes_sessionnote'::regclass, 'notes_addendum'::regclass)"
            " AND NOT tgisinternal"
        )
        return [name for (name,) in cursor.fetchall()]


def test_the_app_role_cannot_declare_a_rotation_to_rewrite_a_signed_note(personas, signed):
    addendum = addendum_add(actor=personas.therapist, note=signed, text="Correction.")
    forged = encrypt_json({**complete_progress_content(), "pain_now": 0})
    for table, pk in [("notes_sessionnote", signed.pk), ("notes_addendum", addendum.pk)]:
        with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])
            cursor.execute(f"UPDATE {table} SET content_encrypted = %s WHERE id = %s", [forged, pk])
    assert decrypt_json(SessionNote.objects.get(pk=signed.pk).content_encrypted)["pain_now"] == 4


def test_pgtrigger_ignore_does_not_switch_a_lock_off_for_the_app_role(signed):
    forged = encrypt_json({**complete_progress_content(), "pain_now": 0})
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(_lock_trigger_names()) + "}"])
        cursor.execute("UPDATE notes_sessionnote SET content_encrypted = %s WHERE id = %s", [forged, signed.pk])
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(_lock_trigger_names()) + "}"])
        cursor.execute("DELETE FROM notes_sessionnote WHERE id = %s", [signed.pk])
    assert SessionNote.objects.get(pk=signed.pk).content_encrypted == signed.content_encrypted


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE notes_sessionnote DISABLE TRIGGER ALL",
        "ALTER TABLE notes_sessionnote DISABLE TRIGGER {trigger}",
        "DROP TRIGGER {trigger} ON notes_sessionnote",
        "CREATE OR REPLACE FUNCTION {trigger}() RETURNS TRIGGER AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
        "SET LOCAL session_replication_role = replica",
        "ALTER TABLE notes_sessionnote OWNER TO CURRENT_USER",
        "CREATE TRIGGER forged BEFORE UPDATE ON notes_sessionnote FOR EACH ROW EXECUTE FUNCTION {trigger}()",
        "SET ROLE {owner}",
    ],
)
def test_the_app_role_cannot_switch_the_locks_off(settings, signed, statement):
    (lock,) = [name for name in _lock_trigger_names() if name.startswith("pgtrigger_signed_note_locked")]
    owner = connection.ops.quote_name(settings.DATABASES[OWNER_DATABASE]["USER"])
    with (
        pytest.raises(ProgrammingError, match="must be owner|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(trigger=lock, owner=owner))


def test_the_app_role_holds_no_attribute_membership_or_ownership_that_lifts_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
                      EXISTS (SELECT FROM pg_auth_members WHERE member = r.oid),
                      EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
                                 AND pg_has_role(r.oid, c.relowner, 'MEMBER')),
                      EXISTS (SELECT FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
                                 AND pg_has_role(r.oid, p.proowner, 'MEMBER'))
                 FROM pg_roles r WHERE r.rolname = current_user"""
        )
        assert cursor.fetchone() == (False, False, False, False, False, False, False)


@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_the_owner_role_rotates_a_signed_note_under_a_new_key(settings, signed):
    old_key = settings.CLINIC_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CLINIC_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("encryption_rotate", stdout=io.StringIO())
    settings.CLINIC_ENCRYPTION_KEYS = [new_key]
    rotated = SessionNote.objects.get(pk=signed.pk)
    assert rotated.content_encrypted != signed.content_encrypted
    assert decrypt_json(rotated.content_encrypted)["pain_now"] == 4


@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_the_owner_role_can_still_switch_a_trigger_off_for_its_own_bulk_loads(signed):
    with transaction.atomic(using=OWNER_DATABASE), connections[OWNER_DATABASE].cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(_lock_trigger_names()) + "}"])
        cursor.execute("UPDATE notes_sessionnote SET pain_now = 0 WHERE id = %s", [signed.pk])
    assert SessionNote.objects.get(pk=signed.pk).pain_now == 0


@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_rotation_refuses_a_connection_that_does_not_own_the_tables(signed):
    owner = connections[OWNER_DATABASE]
    owner_user = owner.settings_dict["USER"]
    owner.close()
    owner.settings_dict["USER"] = connection.settings_dict["USER"]
    try:
        with pytest.raises(CommandError, match="DATABASE_OWNER_URL"):
            call_command("encryption_rotate", stdout=io.StringIO())
    finally:
        owner.close()
        owner.settings_dict["USER"] = owner_user
