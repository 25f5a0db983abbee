"""Who may do what with the education library.

The library itself holds no patient data; it is the tool of those who keep it and share from it: admins and
therapists. What a
patient was given, and what they wrote from a prompt, is psychotherapy content: their treating psychotherapists
and the patient alone see it (not a massage and bodywork provider, as on the chart; not the front desk, billing or
admins), and only a treating psychotherapist assigns or withdraws.
"""

import rules

from apps.accounts.rules import add_clinical_perm, is_admin, is_patient_user, is_therapist
from apps.patients.rules import is_own_record, is_treating_psychotherapist

is_library_keeper = is_admin | is_therapist

rules.add_perm("education.view_library", is_library_keeper)
rules.add_perm("education.manage_library", is_library_keeper)

# Objects: the patient.
add_clinical_perm("education.assign", is_treating_psychotherapist)
add_clinical_perm("education.view_progress", is_treating_psychotherapist)
add_clinical_perm("education.read_entries", is_treating_psychotherapist | (is_patient_user & is_own_record))
# The portal's page and menu entry (no object), and the patient's own writes on their own material (the patient).
add_clinical_perm("education.use_portal_library", is_patient_user)
add_clinical_perm("education.work_own", is_patient_user & is_own_record)
