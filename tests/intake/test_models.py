"""The database holds what a signature means: once written, neither a signature nor a published version changes or
goes away, a patient signs a version once, and a signature always carries a typed name and a SHA-256."""

import pytest
from django.db import IntegrityError, connection, transaction

from apps.intake.models import DocumentVersion, IntakeDocument, Signature, text_sha256

from .conftest import sign

pytestmark = pytest.mark.django_db


def test_the_data_migration_ships_each_kind_of_document_at_version_one():
    documents = IntakeDocument.objects.select_related("current_version")
    assert sorted(d.kind for d in documents) == sorted(
        [
            "questionnaire",
            "treatment_consent",
            "telehealth_consent",
            "cancellation_policy",
            "privacy_notice",
            "release_of_information",
        ]
    )
    for document in documents:
        assert document.current_version.number == 1
        assert document.current_version.body_sha256 == text_sha256(document.current_version.body)
    questionnaire = documents.get(kind="questionnaire")
    assert {f["key"] for f in questionnaire.current_version.fields} >= {"reason", "pain_now"}


def test_the_database_refuses_to_change_or_delete_a_signature(personas, sent, consent):
    signature, _ = sign(personas, consent)
    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(typed_name="Someone Else")
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE intake_signature SET signed_at = now() WHERE id = %s", [signature.pk])
    signature.refresh_from_db()
    assert signature.typed_name == "Pat Ient"


def test_the_database_refuses_to_change_or_delete_a_published_version(consent):
    version = consent.current_version
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).update(body="Different words")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM intake_documentversion WHERE id = %s", [version.pk])


def test_a_patient_signs_a_version_only_once_in_the_database(personas, sent, consent):
    signature, _ = sign(personas, consent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            patient=signature.patient,
            version=signature.version,
            document=signature.document,
            signed_by=signature.signed_by,
            typed_name="Pat Ient",
            text_sha256=signature.text_sha256,
            signed_at=signature.signed_at,
        )


@pytest.mark.parametrize(("typed_name", "sha"), [("", "a" * 64), ("Pat", "not-a-hash")])
def test_a_signature_needs_a_typed_name_and_a_sha256(personas, consent, typed_name, sha):
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            patient=personas.patient,
            version=consent.current_version,
            document=consent,
            signed_by=personas.patient_user,
            typed_name=typed_name,
            text_sha256=sha,
            signed_at=consent.current_version.published_at,
        )
