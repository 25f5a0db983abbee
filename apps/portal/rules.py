"""Who may use the portal's own pages: a signed-in patient, for their own chart only."""

import rules

from apps.accounts.rules import is_patient_user

rules.add_perm("portal.use_portal", is_patient_user)
