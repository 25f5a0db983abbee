"""Demo referrals: a TMS physician's referral for someone with no chart yet (clearance missing), one for a patient
in review with the clearance attached, one accepted with its clearance, and a therapist's referral out still in
draft (the patient has not signed a release), so the queue, its menu count and the chart card all show."""

import datetime as dt

from django.core.files.base import ContentFile
from weasyprint import HTML

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock
from apps.patients.models import Patient

from .models import InboundReferral, OutboundReferral, RecipientKind
from .services import inbound_accept, inbound_receive, inbound_review_start, outbound_draft

PHYSICIAN = {
    "provider_name": "Dr. Maya Chen",
    "provider_practice": "Back Bay TMS & Spine",
    "provider_phone": "+16175550140",
    "provider_fax": "+16175550141",
    "provider_email": "referrals@backbaytms.example",
}
CLEARANCE_HTML = (
    "<h1>Medical clearance</h1><p>Imaging and examination show no structural cause for the patient's back pain. "
    "Cleared for psychotherapy for tension myositis syndrome.</p><p>Dr. Maya Chen</p>"
)


def _clearance_file() -> ContentFile:
    return ContentFile(HTML(string=CLEARANCE_HTML).write_pdf(), name="clearance.pdf")


def seed(out) -> None:
    if InboundReferral.objects.filter(provider_name=PHYSICIAN["provider_name"]).exists():
        out.write("Referrals already seeded.")
        return
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    patients = list(
        Patient.objects.filter(email__endswith="@clinic.test", primary_therapist__isnull=False).order_by("email")[:2]
    )
    today = clock.local_now().date()
    inbound_receive(
        actor=front_desk,
        reason="Chronic low back pain for three years; imaging unremarkable. Referred for TMS-informed therapy.",
        received_on=today - dt.timedelta(days=3),
        prospect_name="Jordan Ellis",
        prospect_phone="+16175550177",
        prospect_email="jordan.ellis@example.test",
        **PHYSICIAN,
    )
    if len(patients) == 2:
        in_review = inbound_receive(
            actor=front_desk,
            reason="Recurring neck pain and headaches after a stressful year; cleared of structural causes.",
            received_on=today - dt.timedelta(days=6),
            patient=patients[0],
            clearance=_clearance_file(),
            cleared_by=PHYSICIAN["provider_name"],
            **PHYSICIAN,
        )
        inbound_review_start(actor=front_desk, referral=in_review)
        accepted = inbound_receive(
            actor=front_desk,
            reason="Fibromyalgia-type pain; clearance enclosed.",
            received_on=today - dt.timedelta(days=20),
            patient=patients[1],
            clearance=_clearance_file(),
            cleared_by=PHYSICIAN["provider_name"],
            **PHYSICIAN,
        )
        inbound_accept(actor=front_desk, referral=accepted)
        if not OutboundReferral.objects.filter(patient=patients[1]).exists():
            outbound_draft(
                actor=patients[1].primary_therapist,
                patient=patients[1],
                recipient_kind=RecipientKind.PSYCHIATRIST,
                recipient_name="Dr. Sam Okafor",
                recipient_practice="Charles River Psychiatry",
                recipient_fax="+16175550190",
                reason="Evaluation for medication to support sleep during pain reprocessing therapy.",
            )
    out.write("Referrals seeded.")
