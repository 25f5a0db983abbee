"""Who may see outcome measures and journal entries."""

import rules

from apps.accounts.rules import add_clinical_perm, is_patient_user
from apps.patients.rules import is_own_record, is_treating_psychotherapist


@rules.predicate
def is_own_assignment(user, assignment) -> bool:
    return assignment is not None and is_own_record(user, assignment.patient)


@rules.predicate
def is_own_journal_entry(user, entry) -> bool:
    return entry is not None and is_own_record(user, entry.patient)


@rules.predicate
def is_shared_with_treating_therapist(user, entry) -> bool:
    return entry is not None and entry.shared_at is not None and is_treating_psychotherapist(user, entry.patient)


@rules.predicate
def treats_response_patient(user, response) -> bool:
    return response is not None and is_treating_psychotherapist(user, response.patient)


add_clinical_perm("outcomes.view_measures", is_treating_psychotherapist | is_own_record)
add_clinical_perm("outcomes.answer_questionnaire", is_own_assignment)
add_clinical_perm("outcomes.assign_questionnaire", is_treating_psychotherapist)
add_clinical_perm("outcomes.review_flag", treats_response_patient)
add_clinical_perm("outcomes.keep_journal", is_patient_user)
add_clinical_perm("outcomes.change_journal_entry", is_own_journal_entry)
add_clinical_perm("outcomes.view_journal_entry", is_own_journal_entry | is_shared_with_treating_therapist)
