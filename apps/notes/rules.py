"""Who may read and write session notes. Front desk, billing, admins and patients never read note
content; process notes are the author's alone. A massage and bodywork provider reads only the bodywork notes they
wrote (or must co-sign), never psychotherapy content; psychotherapists read the signed bodywork notes of patients
they treat, like any other note of the record."""

import rules

from apps.accounts.disciplines import Discipline
from apps.accounts.rules import add_clinical_perm, is_admin, is_bodywork_provider, is_psychotherapist, is_therapist
from apps.patients.rules import is_treating_psychotherapist, is_treating_therapist


@rules.predicate
def is_note_author(user, note) -> bool:
    return note is not None and user.is_authenticated and note.author_id == user.id


@rules.predicate
def is_note_cosigner(user, note) -> bool:
    return note is not None and user.is_authenticated and note.cosigner_id == user.id


@rules.predicate
def is_signed(user, note) -> bool:
    return note is not None and note.status == "signed"


@rules.predicate
def treats_note_patient(user, note) -> bool:
    return note is not None and is_treating_therapist(user, note.patient)


@rules.predicate
def is_appointment_therapist(user, appointment) -> bool:
    return appointment is not None and is_therapist(user) and appointment.therapist_id == user.id


@rules.predicate
def is_bodywork_note(user, note) -> bool:
    """A note of a massage or bodywork session (the session's service decides, not the template)."""
    return note is not None and note.appointment.service_type.discipline == Discipline.BODYWORK


# Drafts stay with their author; a signed note is part of the record for the patient's
# treating psychotherapists, and the supervisor who must co-sign reads it to do so. A bodywork provider's reach
# stops at their own bodywork notes, whatever else they wrote before their discipline changed.
own_or_to_cosign = is_note_author | is_note_cosigner
view_note = (is_psychotherapist & (own_or_to_cosign | (is_signed & treats_note_patient))) | (
    is_bodywork_provider & is_bodywork_note & own_or_to_cosign
)

add_clinical_perm("notes.view_note", view_note)
add_clinical_perm("notes.list_notes", is_therapist)
add_clinical_perm("notes.add_note", is_appointment_therapist)
add_clinical_perm("notes.change_note", is_note_author)
add_clinical_perm("notes.sign_note", is_note_author)
add_clinical_perm("notes.cosign_note", is_note_cosigner)
add_clinical_perm("notes.add_addendum", is_signed & (is_note_author | is_note_cosigner))
# Process notes are psychotherapy notes: a bodywork provider neither writes nor reads one.
add_clinical_perm("notes.add_process_note", is_psychotherapist)
add_clinical_perm("notes.view_process_note", is_note_author & is_psychotherapist)
add_clinical_perm("notes.view_templates", is_therapist | is_admin)
# Every treating provider opens the chart; only psychotherapists see its psychotherapy panels (plan, measure and
# pain trends, flags, shared journal entries) and export the record. An admin answers a records request through
# the records app's download, which releases session notes only as the clinic's settings say.
add_clinical_perm("notes.view_clinical_chart", is_treating_therapist)
add_clinical_perm("notes.view_psychotherapy_record", is_treating_psychotherapist)
add_clinical_perm("notes.export_records", is_treating_psychotherapist)
add_clinical_perm("notes.view_unsigned_queue", is_therapist)


# Treatment plans follow the note rules: a draft is its author's alone; a signed (or superseded) plan is part of
# the record for the patient's treating psychotherapists and for the author's supervisor. Front desk, billing,
# admins, patients and bodywork providers never read plan content.
@rules.predicate
def is_plan_author(user, plan) -> bool:
    return plan is not None and user.is_authenticated and plan.author_id == user.id


@rules.predicate
def is_plan_signed(user, plan) -> bool:
    return plan is not None and plan.status != "draft"


@rules.predicate
def treats_plan_patient(user, plan) -> bool:
    return plan is not None and is_treating_psychotherapist(user, plan.patient)


@rules.predicate
def supervises_plan_author(user, plan) -> bool:
    if plan is None or not is_therapist(user):
        return False
    profile = getattr(plan.author, "therapist_profile", None)
    return profile is not None and profile.supervisor_id == user.id


view_plan = is_psychotherapist & (is_plan_author | (is_plan_signed & (treats_plan_patient | supervises_plan_author)))

add_clinical_perm("notes.view_plan", view_plan)
add_clinical_perm("notes.list_plans", is_psychotherapist)
add_clinical_perm("notes.add_plan", is_treating_psychotherapist)
add_clinical_perm("notes.change_plan", is_plan_author)
add_clinical_perm("notes.sign_plan", is_plan_author)
