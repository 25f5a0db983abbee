"""Note text is encrypted at rest under keys from the environment, and keys rotate."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from apps.core.database_roles import OWNER_DATABASE
from apps.core.encryption import REENCRYPT_SETTING, DecryptionError, decrypt_json, decrypt_text, rotate_token
from apps.notes.models import Addendum, Problem, PsychotherapyNote, SessionNote, TreatmentPlan
from apps.notes.plan_selectors import plan_open
from apps.notes.services import addendum_add, note_create, note_sign, process_note_create
from apps.outcomes.models import JournalEntry
from apps.outcomes.services import journal_entry_create

from .conftest import CANARY, complete_progress_content, signed_plan_for

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT content_encrypted FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def records(personas, past_session, progress_template):
    content = complete_progress_content(patient_response=f"Said {CANARY} about his father.")
    note = note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content=content)
    note = note_sign(actor=personas.therapist, note=note, attest=True)
    addendum = addendum_add(actor=personas.therapist, note=note, text=f"Addendum {CANARY}")
    process = process_note_create(actor=personas.therapist, patient=personas.patient, text=f"Process {CANARY}")
    return note, addendum, process


def test_the_raw_columns_hold_no_plaintext(records):
    note, addendum, process = records
    for table, row in [
        ("notes_sessionnote", note),
        ("notes_addendum", addendum),
        ("notes_psychotherapynote", process),
    ]:
        raw = _raw(table, row.pk)
        assert CANARY not in raw and "father" not in raw
        assert raw.startswith("gAAAAA")  # a Fernet token
    with connection.cursor() as cursor:
        cursor.execute("SELECT string_agg(t::text, ' ') FROM notes_sessionnoteevent t")
        assert CANARY not in (cursor.fetchone()[0] or "")


# Rotation connects as the owner role (a connection of its own), so it sees only committed rows.
@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_rotation_reencrypts_every_row_under_the_newest_key(settings, personas, past_session, progress_template):
    settings.CLINIC_ENCRYPTION_KEYS = [OLD_KEY]
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    note = note_sign(actor=personas.therapist, note=note, attest=True)
    addendum = addendum_add(actor=personas.therapist, note=note, text="Correction.")
    process = process_note_create(actor=personas.therapist, patient=personas.patient, text=CANARY)
    before = _raw("notes_sessionnote", note.pk)

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "notes.SessionNote: 1 re-encrypted" in out.getvalue()
    assert "notes.Addendum: 1 re-encrypted" in out.getvalue()

    # The old key can now be dropped: everything opens with the new key alone.
    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY]
    assert _raw("notes_sessionnote", note.pk) != before
    assert decrypt_json(SessionNote.objects.get(pk=note.pk).content_encrypted)["pain_now"] == 4
    assert decrypt_text(Addendum.objects.get(pk=addendum.pk).content_encrypted) == "Correction."
    assert decrypt_text(PsychotherapyNote.objects.get(pk=process.pk).content_encrypted) == CANARY
    assert SessionNote.objects.get(pk=note.pk).status == "signed"

    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "notes.SessionNote: 0 re-encrypted" in out.getvalue()


def test_text_under_a_removed_key_does_not_open(settings, personas):
    settings.CLINIC_ENCRYPTION_KEYS = [OLD_KEY]
    process = process_note_create(actor=personas.therapist, patient=personas.patient, text=CANARY)
    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(DecryptionError) as caught:
        decrypt_text(PsychotherapyNote.objects.get(pk=process.pk).content_encrypted)
    assert CANARY not in str(caught.value)


# Rotation connects as the owner role (a connection of its own), so it sees only committed rows.
@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_rotation_covers_journal_entries(settings, personas):
    settings.CLINIC_ENCRYPTION_KEYS = [OLD_KEY]
    entry = journal_entry_create(actor=personas.patient_user, patient=personas.patient, text="Dear diary.")
    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "outcomes.JournalEntry: 1 re-encrypted" in out.getvalue()
    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_text(JournalEntry.objects.get(pk=entry.pk).content_encrypted) == "Dear diary."


# Rotation connects as the owner role (a connection of its own), so it sees only committed rows.
@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_rotation_reencrypts_a_signed_treatment_plan_and_the_app_role_still_cannot(settings, personas):
    settings.CLINIC_ENCRYPTION_KEYS = [OLD_KEY]
    plan = signed_plan_for(personas.therapist, personas.patient)
    before = plan_open(user=personas.therapist, plan_id=plan.pk).content()
    problem = Problem.objects.get(plan=plan)
    # The app role declaring a rotation changes nothing: only the tables' owner may re-encrypt.
    with (
        pytest.raises(IntegrityError, match="signed treatment plan"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])
        cursor.execute(
            "UPDATE notes_problem SET content_encrypted = %s WHERE id = %s",
            [rotate_token(problem.content_encrypted), problem.pk],
        )

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    for line in ["notes.Problem: 1 re-encrypted", "notes.Goal: 2 re-encrypted", "notes.Intervention: 3 re-encrypted"]:
        assert line in out.getvalue()

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY]
    assert plan_open(user=personas.therapist, plan_id=plan.pk).content() == before
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "signed"


# Rotation connects as the owner role (a connection of its own), so it sees only committed rows.
@pytest.mark.django_db(transaction=True, databases=["default", OWNER_DATABASE])
def test_rotation_covers_every_encrypted_column_referral_reasons_and_kept_exceptions_included(settings, personas):
    """Found by their `_encrypted` names, so none is left under a key about to be dropped; a clearance exception
    is a kept row whose reason only a rotation may re-encrypt."""
    import datetime as dt

    from apps.notes.management.commands.encryption_rotate import encrypted_columns
    from apps.referrals.models import ClearanceException, InboundReferral
    from apps.referrals.services import clearance_exception_grant, inbound_decline, inbound_receive

    assert encrypted_columns()["referrals.InboundReferral"] == ["reason_encrypted", "decline_reason_encrypted"]
    settings.CLINIC_ENCRYPTION_KEYS = [OLD_KEY]
    referral = inbound_receive(
        actor=personas.front_desk,
        provider_name="Dr. Reyes",
        reason="Chronic back pain, imaging clear.",
        received_on=dt.date(2026, 11, 30),
        patient=personas.patient,
    )
    inbound_decline(actor=personas.admin, referral=referral, reason="Outside our scope.")
    exception = clearance_exception_grant(actor=personas.therapist, patient=personas.patient, reason="Long-standing.")
    with pytest.raises(IntegrityError, match="clearance exception"), transaction.atomic():
        ClearanceException.objects.filter(pk=exception.pk).update(
            reason_encrypted=rotate_token(exception.reason_encrypted)
        )

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "referrals.InboundReferral: 2 re-encrypted" in out.getvalue()
    assert "referrals.ClearanceException: 1 re-encrypted" in out.getvalue()

    settings.CLINIC_ENCRYPTION_KEYS = [NEW_KEY]
    referral = InboundReferral.objects.get(pk=referral.pk)
    assert decrypt_text(referral.reason_encrypted) == "Chronic back pain, imaging clear."
    assert decrypt_text(referral.decline_reason_encrypted) == "Outside our scope."
    assert decrypt_text(ClearanceException.objects.get(pk=exception.pk).reason_encrypted) == "Long-standing."
