"""Demo secure messages for the portal patient: a conversation the front desk answered and the patient read, and a
new question waiting in the clinic's inbox. Idempotent: a patient who already has conversations is left alone."""

from apps.accounts.models import User
from apps.patients.demo import PORTAL_PATIENT_EMAIL
from apps.patients.models import Patient

from .models import MessageThread
from .services import message_post, messages_mark_read, thread_start

FRONT_DESK_EMAIL = "frontdesk@clinic.test"


def seed(out) -> None:
    patient = Patient.objects.filter(email=PORTAL_PATIENT_EMAIL, user__isnull=False).select_related("user").first()
    desk = User.objects.filter(email=FRONT_DESK_EMAIL).first()
    if patient is None or desk is None or MessageThread.objects.filter(patient=patient).exists():
        return
    answered = thread_start(
        actor=patient.user,
        patient=patient,
        subject="Parking for my Thursday session",
        text="Hello, is there somewhere to park near the clinic on Thursday afternoons?",
    )
    messages_mark_read(actor=desk, thread=answered)
    message_post(
        actor=desk,
        thread=answered,
        text="Yes: the lot behind the building is free for patients. Take a ticket and we stamp it at the desk.",
    )
    messages_mark_read(actor=patient.user, thread=answered)
    thread_start(
        actor=patient.user,
        patient=patient,
        subject="Receipt for my insurance",
        text="Could you send me a receipt for last month's sessions? My insurer asks for one.",
    )
    out.write("Messages: 2 conversations for the portal patient")
