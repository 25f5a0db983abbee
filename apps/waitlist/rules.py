"""Who may see and change the individual-slot waitlist."""

import rules

from apps.accounts.rules import is_admin, is_front_desk, is_patient_user

rules.add_perm("waitlist.manage_slot_waitlist", is_admin | is_front_desk)
rules.add_perm("waitlist.request_slot", is_patient_user)
