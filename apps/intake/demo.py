"""Demo intake: the standard packet sent to the first demo patients; the portal patient has signed two documents
and has the questionnaire and the consents still to do, so the portal and the front desk's list show both."""

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.patients.models import Patient

from .models import DocumentKind, IntakeDocument, Packet
from .services import document_sign, intake_documents_ensure, packet_send

SENT_TO = 4  # the first demo patients by email, the portal patient among them
SIGNED_BY_PORTAL_PATIENT = [DocumentKind.PRIVACY_NOTICE, DocumentKind.CANCELLATION_POLICY]


def seed(out) -> None:
    intake_documents_ensure()
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    patients = list(Patient.objects.filter(email__endswith="@clinic.test").order_by("email")[:SENT_TO])
    sent = 0
    for patient in patients:
        if Packet.objects.filter(patient=patient).exists():
            continue
        packet_send(actor=front_desk, patient=patient)
        sent += 1
        if patient.user is None:
            continue
        for document in IntakeDocument.objects.select_related("current_version").filter(
            kind__in=SIGNED_BY_PORTAL_PATIENT
        ):
            document_sign(
                actor=patient.user,
                patient=patient,
                version=document.current_version,
                shown_sha256=document.current_version.body_sha256,
                typed_name=patient.legal_name,
            )
    out.write(f"Intake packets sent: {sent}.")
