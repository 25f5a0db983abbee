"""Who may download a patient's record: the patient, their own (in the portal); an administrator, any patient's,
for a records request. The download holds journal text and (when released) notes, so the front desk, billing and
therapists do not produce it here (therapists export their clinical notes from the clinical chart)."""

from apps.accounts.rules import add_clinical_perm, is_admin, is_patient_user

add_clinical_perm("records.download_own", is_patient_user)
add_clinical_perm("records.export_for_patient", is_admin)
