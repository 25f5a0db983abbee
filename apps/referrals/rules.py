"""Who may work with referrals and medical clearances."""

import rules

from apps.accounts.rules import add_clinical_perm, is_admin, is_front_desk
from apps.patients.rules import is_treating_psychotherapist, is_treating_therapist

# The front desk receives and triages inbound referrals; the treating psychotherapist refers out and reads both. A
# massage and bodywork provider treating the patient sees the referrals card (who referred, to whom, the clearance
# state), but records no clearance, reads no referral's reason and makes no psychotherapy decision.
is_referral_desk = is_admin | is_front_desk

rules.add_perm("referrals.view_queue", is_referral_desk)
rules.add_perm("referrals.receive_inbound", is_referral_desk)
rules.add_perm("referrals.view_patient_referrals", is_referral_desk | is_treating_therapist)
rules.add_perm("referrals.read_referrals", is_referral_desk | is_treating_psychotherapist)
rules.add_perm("referrals.record_clearance", is_referral_desk | is_treating_psychotherapist)
# Starting psychotherapy without a clearance is a clinical decision: the treating psychotherapist or an administrator.
rules.add_perm("referrals.grant_clearance_exception", is_admin | is_treating_psychotherapist)
# Writing a referral out is the psychotherapist's clinical work: a Django superuser's pass does not reach it.
add_clinical_perm("referrals.write_outbound", is_treating_psychotherapist)
rules.add_perm("referrals.track_outbound", is_referral_desk | is_treating_psychotherapist)
