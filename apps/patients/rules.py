"""Who may see and change a patient's chart, and act for a patient through a link the clinic sent them."""

import datetime as dt

import rules

from apps.accounts.rules import is_admin, is_billing, is_clinic_staff, is_front_desk, is_psychotherapist, is_therapist

from .selectors import therapist_has_seen


@rules.predicate
def is_treating_therapist(user, patient) -> bool:
    if patient is None or not is_therapist(user):
        return False
    return patient.primary_therapist_id == user.id or therapist_has_seen(therapist=user, patient_id=patient.pk)


# Psychotherapy content of a chart (notes of psychotherapy sessions, process notes, treatment plans, measures,
# shared journal entries, intake answers) is read by the patient's psychotherapists, never by a massage and
# bodywork provider who treats the same patient.
is_treating_psychotherapist = is_treating_therapist & is_psychotherapist


@rules.predicate
def is_own_record(user, patient) -> bool:
    return patient is not None and user.is_authenticated and patient.user_id == user.id


view_demographics = is_admin | is_front_desk | is_billing | is_treating_therapist | is_own_record

rules.add_perm("patients.view_patient", view_demographics)
# The chart pages under /patients/ are staff pages; a patient sees their own details in the portal (and the API).
rules.add_perm("patients.open_chart_page", view_demographics & is_clinic_staff)
rules.add_perm("patients.list_patients", is_admin | is_front_desk | is_billing | is_therapist)
rules.add_perm("patients.add_patient", is_admin | is_front_desk)
# Changing a patient's details and ending their care (or taking them back) are the front desk's, an admin's or
# their psychotherapist's: a massage and bodywork provider treating them opens the chart but changes neither. The
# patient page offers each action by the same permission the server checks.
rules.add_perm("patients.change_patient", is_admin | is_front_desk | is_treating_psychotherapist)
rules.add_perm("patients.invite_patient", is_admin | is_front_desk)
# Consent to texts given at the desk (spoken, or on a written form), and its withdrawal, is recorded by whoever
# takes it there; a patient gives their own in the portal.
rules.add_perm("patients.record_sms_consent", is_admin | is_front_desk)
rules.add_perm("patients.discharge_patient", is_admin | is_front_desk | is_treating_psychotherapist)

# The access log (who opened which chart, and who was refused) is reviewed by administrators.
rules.add_perm("audit.view_access_log", is_admin)


# What a page says of a link refused by `link_sent_before_contact_change`, where a forged or expired link is refused.
LINK_SENT_TO_OLD_CONTACT = (
    "This link was sent to an address or number that is no longer on file. Sign in to the portal, or call the clinic."
)


def link_sent_before_contact_change(*, patient, signed_at: dt.datetime) -> bool:
    """Whether a link the clinic signed for the patient at `signed_at` (a reminder's confirm or cancel, an offer's
    accept or decline, which act for the patient without a sign-in) went out before their email or mobile number last
    changed. People change an address because someone else now reads it (a shared inbox, a recycled number), so such
    a link no longer speaks for the patient.

    Signing times are whole seconds: a link signed in the second of the change counts as sent after it, so the
    reminders planned again in the change's own transaction carry links that work."""
    changed_at = patient.contact_changed_at
    return changed_at is not None and signed_at < changed_at.replace(microsecond=0)
