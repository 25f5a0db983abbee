"""The access log in words for the people who read it: "Viewed billing ledger" for `billing_ledger_view`, and
"Sliding scale assessment #7" for `billing.slidingscaleassessment` 7. The codes stay what is stored and exported;
pages show these."""

from django.apps import apps
from django.utils.text import capfirst

# The verb a code ends with (or, for a permission-like code, starts with), as the log says it happened.
VERBS = {
    "view": "Viewed",
    "export": "Exported",
    "download": "Downloaded",
    "create": "Created",
    "update": "Updated",
    "delete": "Deleted",
    "save": "Saved",
    "change": "Changed",
    "set": "Set",
    "sign": "Signed",
    "cosign": "Co-signed",
    "write": "Wrote",
    "add": "Added",
    "register": "Registered",
    "cancel": "Cancelled",
    "confirm": "Confirmed",
    "revoke": "Revoked",
    "restore": "Restored",
    "retire": "Retired",
    "resolve": "Resolved",
    "resend": "Sent again",
    "refund": "Refunded",
    "record": "Recorded",
    "purchase": "Sold",
    "propose": "Proposed",
    "launch": "Launched",
    "move": "Moved",
    "link": "Linked",
    "invite": "Invited",
    "assign": "Assigned",
    "withdraw": "Withdrew",
    "discharge": "Discharged",
    "decline": "Declined",
    "cover": "Covered",
    "receive": "Received",
    "review": "Reviewed",
    "accept": "Accepted",
    "draft": "Drafted",
    "override": "Overrode",
    "deactivate": "Deactivated",
    "reactivate": "Reactivated",
    "reinvite": "Invited again",
}
# Codes the rule above would say badly.
ACTIONS = {
    "added": "Added",
    "api_token_create": "Created API token",
    "api_token_revoke": "Revoked API token",
    "appointment_book": "Booked a session",
    "education_assign": "Shared library item",
    "education_withdraw": "Withdrew library item",
    "education_journal_write": "Wrote journal entry from a prompt",
    "education_note_view": "Read the therapist's note on a shared library item",
    "education_note_export": "Exported the therapist's note on a shared library item",
    "intake.view_signature": "Viewed signed intake form",
    "lecture_register": "Registered for a lecture series",
    "message_resend": "Sent a message again",
    "message_thread_start": "Started a message thread",
    "message_thread_hand_over": "Handed a message thread to the patient's therapist",
    "plan_create": "Created treatment plan",
    "plan_sign": "Signed treatment plan",
    "plan_update": "Updated treatment plan",
    "plan_view": "Viewed treatment plan",
    "referral_inbound_accept": "Accepted inbound referral",
    "referral_inbound_receive": "Received inbound referral",
    "referral_inbound_review": "Reviewed inbound referral",
    "referral_outbound_draft": "Drafted outbound referral",
    "therapist_self_booking_change": "Changed therapist's online booking",
    "staff_details_change": "Changed staff member's name or email",
    "cancel": "Cancelled",
    "confirm": "Confirmed",
    "education_done": "Marked library item done",
    "income_view": "Viewed income",
    "program_call_off": "Called off program",
    "slot_freed": "Freed a weekly slot",
    "sms_opt_out": "Opted out of text messages",
    "two_step_on": "Turned on two-step sign-in",
    "two_step_off": "Turned off two-step sign-in",
    "mfa_device_remove": "Removed an authenticator app",
    "sessions_end": "Ended the account's open sign-ins",
    "patient_admin_view": "Viewed patient in the Django admin",
    "therapist_supervision_change": "Changed who supervises a therapist",
    "message_attachment_view": "Downloaded a message's attachment",
}


def action_words(code: str) -> str:
    if code in ACTIONS:
        return ACTIONS[code]
    words = code.replace(".", "_").split("_")
    if len(words) > 1 and words[-1] in VERBS:
        return f"{VERBS[words[-1]]} {' '.join(words[:-1])}"
    if len(words) > 2 and words[1] in VERBS:  # "intake.view_signature"
        return f"{VERBS[words[1]]} {' '.join(words[2:])}"
    return capfirst(" ".join(words))


def record_words(subject_type: str, subject_id: str) -> str:
    """The record by its kind's name; a type no model answers to any more stays as it was logged."""
    try:
        model = apps.get_model(subject_type)
    except (LookupError, ValueError):
        return f"{subject_type} #{subject_id}"
    return f"{capfirst(model._meta.verbose_name)} #{subject_id}"
