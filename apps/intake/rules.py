"""Who may send, see and sign intake documents."""

import rules

from apps.accounts.rules import add_clinical_perm, is_admin, is_front_desk
from apps.patients.rules import is_own_record, is_treating_psychotherapist

# The front desk runs intake and sees what was signed, when and by whom; what the patient answered (why they came,
# their medications, thoughts of self-harm) is clinical, read by their own psychotherapist (never a massage
# therapist) and themselves. Billing sees neither.
is_intake_staff = is_admin | is_front_desk

rules.add_perm("intake.manage_documents", is_admin)
rules.add_perm("intake.send_packet", is_intake_staff)
rules.add_perm("intake.list_outstanding", is_intake_staff)
rules.add_perm("intake.view_packets", is_intake_staff | is_treating_psychotherapist | is_own_record)
# Clinical content: its rule alone decides, so a Django superuser's pass (an admin made one, say) never reads them.
add_clinical_perm("intake.view_answers", is_treating_psychotherapist | is_own_record)
rules.add_perm("intake.sign", is_own_record)


@rules.predicate
def treats_flagged_patient(user, flag) -> bool:
    return flag is not None and is_treating_psychotherapist(user, flag.patient)


# A risk answer is reviewed by the patient's psychotherapists, as a PHQ-9 flag is (outcomes.review_flag).
add_clinical_perm("intake.review_flag", treats_flagged_patient)
