"""Who sees and moves a patient's care level, and who reads the ladder report.

The level is care coordination, not note content: the front desk enrols people in programs and places them on
the slot waitlist, so they see and move it like the treating psychotherapist does. The reason for a move may say
something clinical, so it is encrypted, and read by the front desk, admins and the patient's psychotherapists; a
massage and bodywork provider treating the patient sees the level, never moves it (placing someone in
psychotherapy is a psychotherapy decision) and never reads why. Billing never sees the level. A patient sees their
own level (and what comes next) in the portal and the API, never anyone else's, and never the reasons.
"""

import rules

from apps.accounts.rules import is_admin, is_front_desk
from apps.patients.rules import is_own_record, is_treating_psychotherapist, is_treating_therapist

is_ladder_desk = is_admin | is_front_desk

rules.add_perm("ladder.view_care_level", is_ladder_desk | is_treating_therapist | is_own_record)
rules.add_perm("ladder.move_care_level", is_ladder_desk | is_treating_psychotherapist)
rules.add_perm("ladder.view_move_reasons", is_ladder_desk | is_treating_psychotherapist)
rules.add_perm("ladder.view_report", is_admin)
