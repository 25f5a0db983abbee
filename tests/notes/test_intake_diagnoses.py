"""Signing an intake note proposes its ICD-10 codes to the patient's billing diagnoses, for billing to confirm."""

import pytest

from apps.billing.models import BillingProfile
from apps.notes.demo import INTAKE_CONTENT
from apps.notes.services import note_create, note_sign

from .conftest import complete_progress_content

pytestmark = pytest.mark.django_db


def test_signing_an_intake_note_proposes_its_diagnosis_codes_without_confirming_them(
    personas, past_session, intake_template
):
    content = {**INTAKE_CONTENT, "diagnosis": "F45.41 Pain disorder with psychological factors; also M54.50"}
    note = note_create(actor=personas.therapist, appointment=past_session, template=intake_template, content=content)
    note_sign(actor=personas.therapist, note=note, attest=True)
    profile = BillingProfile.objects.get(patient=personas.patient)
    assert profile.proposed_diagnosis_codes == ["F45.41", "M54.50"]
    assert profile.diagnosis_codes == []
    assert profile.proposed_at is not None


def test_signing_a_progress_note_proposes_nothing(personas, past_session, progress_template):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(presenting_symptoms="F45.41 mentioned in passing"),
    )
    note_sign(actor=personas.therapist, note=note, attest=True)
    assert not BillingProfile.objects.filter(patient=personas.patient).exists()
