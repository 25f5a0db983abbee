"""Who may read and write secure messages.

A thread with the clinic is read by the front desk and admins (the clinic inbox); a thread with a therapist only
by that therapist, and only while the clinic lets patients message therapists and the therapist accepts it.
Billing staff and other therapists never see messages. The patient sees their own threads.
"""

import rules

from apps.accounts.rules import add_clinical_perm, is_admin, is_front_desk, is_patient_user, is_therapist
from apps.patients.rules import is_own_record

from .recipients import may_write_to, takes_messages

is_clinic_inbox_staff = is_admin | is_front_desk


@rules.predicate
def takes_patient_messages(user) -> bool:
    return is_therapist(user) and takes_messages(user)


@rules.predicate
def is_thread_patient(user, thread) -> bool:
    return thread is not None and is_own_record(user, thread.patient)


@rules.predicate
def is_clinic_thread(user, thread) -> bool:
    return thread is not None and thread.therapist_id is None


@rules.predicate
def is_thread_therapist(user, thread) -> bool:
    return thread is not None and user.is_authenticated and thread.therapist_id == user.id


@rules.predicate
def may_message_therapist(user, therapist) -> bool:
    """A patient writes to a therapist who treats them and takes messages: whom the portal lists for them."""
    patient = getattr(user, "patient", None)
    return is_patient_user(user) and patient is not None and may_write_to(patient=patient, therapist=therapist)


staff_participant = (is_clinic_thread & is_clinic_inbox_staff) | (is_thread_therapist & takes_patient_messages)

add_clinical_perm("messaging.use_portal_messages", is_patient_user)
add_clinical_perm("messaging.view_inbox", is_clinic_inbox_staff | takes_patient_messages)
add_clinical_perm("messaging.view_thread", is_thread_patient | staff_participant)
add_clinical_perm("messaging.reply", is_thread_patient | staff_participant)
add_clinical_perm("messaging.close_thread", staff_participant)
# Only the clinic inbox's staff pass a conversation with the clinic on to the patient's therapist.
add_clinical_perm("messaging.hand_over_thread", is_clinic_thread & is_clinic_inbox_staff)
add_clinical_perm("messaging.message_therapist", may_message_therapist)
