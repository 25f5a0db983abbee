"""The referrals card on the staff patient page and the clinical chart: the patient's referrals both ways and
whether a medical clearance is on file."""

from django import template

from apps.core.models import ClinicSettings
from apps.intake.selectors import release_ended
from apps.referrals import selectors

register = template.Library()


@register.inclusion_tag("referrals/_patient_card.html", takes_context=True)
def patient_referrals_card(context, patient):
    user = context["request"].user
    if not user.has_perm("referrals.view_patient_referrals", patient):
        return {"hidden": True}
    clinic = ClinicSettings.load()
    reads_referrals = user.has_perm("referrals.read_referrals", patient)
    referrals = selectors.patient_referrals(patient=patient)
    return {
        "patient": patient,
        "state": referrals.state,
        "clearance_required": clinic.require_medical_clearance,
        "inbound": referrals.inbound,
        "outbound": referrals.outbound,
        # Each referral's page carries its clinical reason: linked only for those who may read it.
        "reads_referrals": reads_referrals,
        # Referrals out go only under a release in force: one that has ended is to be signed again.
        "release_ended": release_ended(patient=patient, clinic=clinic) if reads_referrals else None,
        "can_manage_clearance": user.has_perm("referrals.record_clearance", patient)
        or user.has_perm("referrals.grant_clearance_exception", patient),
        "can_refer_out": user.has_perm("referrals.write_outbound", patient),
    }
