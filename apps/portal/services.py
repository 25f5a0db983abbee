"""The portal's own writes: the patient's changes to their contact details and reminder choices, each with an
access-log row saying what changed, the optional two-step sign-in, and confirming a new sign-in email. Chart rules
stay in apps.patients."""

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.services import sessions_end_others, sign_in_email_change_confirm
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import NotFound, Unprocessable
from apps.patients.models import DEMOGRAPHIC_FIELDS, Patient
from apps.patients.selectors import patients_visible_to
from apps.patients.services import patient_reminder_preferences_set, patient_sms_opt_out, patient_update, reminder_state

from .models import PortalAccount

# What a patient may change about themselves, in the chart's form order; legal name and date of birth go through
# the front desk, the treating therapist and reminder choices through their own pages.
_FRONT_DESK_FIELDS = frozenset(
    {"legal_first_name", "legal_last_name", "date_of_birth", "primary_therapist", "reminder_email"}
)
CONTACT_FIELDS = tuple(name for name in DEMOGRAPHIC_FIELDS if name not in _FRONT_DESK_FIELDS)


def _locked_chart(*, actor, patient: Patient) -> Patient:
    """The chart as stored, locked for this change; only one the actor may see (a patient: their own)."""
    chart = patients_visible_to(user=actor).select_for_update(of=("self",)).filter(pk=patient.pk).first()
    if chart is None:
        raise NotFound("No such patient.")
    return chart


@transaction.atomic
def contact_details_update(*, actor, patient: Patient, **changes) -> Patient:
    """Change the patient's own contact details. Row history keeps the prior version; the access log keeps who
    changed which field from what to what, so a changed phone number or email can always be traced."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise Unprocessable(f"Not a contact field: {', '.join(sorted(unknown))}")
    current = _locked_chart(actor=actor, patient=patient)
    changed = {field: value for field, value in changes.items() if getattr(current, field) != value}
    if not changed:
        return current
    before = {field: getattr(current, field) for field in changed}
    updated = patient_update(actor=actor, patient=current, **changed)
    access_log_write(
        actor=actor,
        action="contact_details_change",
        subject=updated,
        patient_id=updated.pk,
        detail={"before": before, "after": {field: getattr(updated, field) for field in changed}},
    )
    return updated


@transaction.atomic
def sign_in_email_confirm(*, actor, patient: Patient, token: str, for_reminders: bool, keep=None):
    """Confirm the new sign-in email a link was sent to (accounts' sign_in_email_change_confirm, which signs the
    account out everywhere but the request `keep`) and, when the patient asks, make it the chart's email for
    reminders and receipts too, in the same transaction: both change or neither does."""
    user = sign_in_email_change_confirm(user=actor, token=token, keep=keep)
    if for_reminders:
        contact_details_update(actor=user, patient=patient, email=user.email)
    return user


@transaction.atomic
def reminder_preferences_update(*, actor, patient: Patient, email: bool, sms: bool, sms_consent: bool) -> Patient:
    """Channels and text-message consent (the chart's service logs the old and new choices)."""
    _locked_chart(actor=actor, patient=patient)
    return patient_reminder_preferences_set(actor=actor, patient=patient, email=email, sms=sms, sms_consent=sms_consent)


@transaction.atomic
def text_messages_stop(*, actor, patient: Patient) -> Patient:
    """The portal's 'stop all text messages': the same effect as replying STOP."""
    before = reminder_state(_locked_chart(actor=actor, patient=patient))
    updated = patient_sms_opt_out(patient=patient)
    access_log_write(
        actor=actor,
        action="sms_opt_out",
        subject=updated,
        patient_id=updated.pk,
        detail={"before": before, "after": reminder_state(updated)},
    )
    return updated


@transaction.atomic
def two_step_offer_answer(*, user) -> PortalAccount:
    account, _ = PortalAccount.objects.select_for_update().get_or_create(user=user)
    if account.two_step_offer_answered_at is None:
        account.two_step_offer_answered_at = clock.now()
        account.save(update_fields=["two_step_offer_answered_at", "updated_at"])
    return account


@transaction.atomic
def two_step_turned_on(*, user, keep) -> None:
    """Record that the patient confirmed an authenticator; the offer is answered for good. Every other session
    ends: none of them passed the code, and a session someone else holds must not outlive the protection. The
    request `keep`, which confirmed it, stays signed in."""
    two_step_offer_answer(user=user)
    access_log_write(actor=user, action="two_step_on", subject=user, detail={})
    sessions_end_others(actor=user, user=user, because="two_step_on", keep=keep)


@transaction.atomic
def two_step_turn_off(*, user) -> None:
    """Remove the patient's authenticator; sign-in goes back to password only. Staff can never do this here."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        access_log_write(actor=user, action="two_step_off", subject=user, detail={})
