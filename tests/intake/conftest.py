import pytest

from apps.intake.models import DocumentKind, IntakeDocument
from apps.intake.services import document_sign, packet_send


@pytest.fixture
def consent():
    return IntakeDocument.objects.select_related("current_version").get(kind=DocumentKind.TREATMENT_CONSENT)


@pytest.fixture
def questionnaire():
    return IntakeDocument.objects.select_related("current_version").get(kind=DocumentKind.QUESTIONNAIRE)


@pytest.fixture
def sent(personas):
    """The standard packet, sent to the therapist's patient by the front desk."""
    return packet_send(actor=personas.front_desk, patient=personas.patient)


QUESTIONNAIRE_ANSWERS = {
    "reason": "Back pain for years that moves around.",
    "pain_now": 6,
    "medical_evaluation": True,
    "emergency_plan": "no",
}


def sign(personas, document, **overrides):
    version = document.current_version
    fields = {
        "actor": personas.patient_user,
        "patient": personas.patient,
        "version": version,
        "shown_sha256": version.body_sha256,
        "typed_name": "Pat Ient",
        "answers": QUESTIONNAIRE_ANSWERS if document.is_questionnaire else None,
    }
    return document_sign(**{**fields, **overrides})


def sign_everything(personas):
    for document in IntakeDocument.objects.select_related("current_version").filter(in_standard_packet=True):
        sign(personas, document)
