"""Every write to patient charts."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.accounts.roles import Role
from apps.accounts.selectors import email_signs_in
from apps.accounts.services import invitation_send, invitations_revoke_pending, user_create
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.permissions import permission_require
from apps.core.phones import phone_to_e164

from . import extensions, selectors
from .models import DEMOGRAPHIC_FIELDS, DESK_CONSENT_METHODS, Patient, PatientStatus, SmsConsentMethod
from .validators import validate_date_of_birth

EDITABLE_FIELDS = frozenset(DEMOGRAPHIC_FIELDS)
# Who a chart is: with its email, what tells whether two charts may be one person (patient_possible_duplicates).
IDENTITY_FIELDS = ("legal_first_name", "legal_last_name", "date_of_birth")
PHONE_FIELDS = ("phone", "emergency_contact_phone")
# The chart fields the patient's queued reminders are addressed, chosen and worded from: a change plans them again
# (extensions.reminder_details_changed), as a change of text reminders or consent does.
REMINDER_DETAIL_FIELDS = frozenset(
    {"email", "phone", "time_zone", "reminder_email", "preferred_name", "legal_first_name"}
)


class PossibleDuplicate(Conflict):
    """The chart being created, or changed, may be someone already registered. `matches` are the charts it may
    duplicate; the caller shows them and may confirm to save it anyway."""

    code = "possible_duplicate"

    def __init__(self, matches: list[Patient], *, changing: bool = False):
        count = "a patient" if len(matches) == 1 else f"{len(matches)} patients"
        doing = (
            "saving these details, or confirm to save them anyway"
            if changing
            else "creating a second chart, or confirm to create it anyway"
        )
        super().__init__(
            f"This may be {count} already registered (same name and date of birth, or same email). "
            f"Check before {doing}.",
            extra={"duplicate_ids": [p.pk for p in matches]},
        )
        self.matches = matches


def _next_chart_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('patients_chart_number_seq')")
        (number,) = cursor.fetchone()
    return f"C{number:06d}"


def _check_primary_therapist(therapist) -> None:
    if therapist is not None and not therapist.has_role(Role.THERAPIST):
        raise Unprocessable(
            "The primary therapist must be a therapist.", fields={"primary_therapist": ["Not a therapist."]}
        )
    # Someone who has left the clinic treats nobody new: the chart would name a therapist who can never see it.
    if therapist is not None and not therapist.is_active:
        raise Unprocessable(
            f"{therapist.full_name} no longer works at the clinic; choose an active therapist.",
            fields={"primary_therapist": ["Not an active therapist."]},
        )


def _checked(data: dict) -> dict:
    """The changes with phone numbers in E.164 and a believable birth date, else Unprocessable naming each field."""
    checked, errors = dict(data), {}
    for field in PHONE_FIELDS:
        if field in checked:
            try:
                checked[field] = phone_to_e164(checked[field] or "")
            except ValidationError as exc:
                errors[field] = exc.messages
    if checked.get("date_of_birth") is not None:
        try:
            validate_date_of_birth(checked["date_of_birth"])
        except ValidationError as exc:
            errors["date_of_birth"] = exc.messages
    if errors:
        raise Unprocessable(" ".join(m for messages in errors.values() for m in messages), fields=errors)
    return checked


def _lock_identity(data: dict) -> None:
    """Serialise creating (or changing) charts for the same person (name and birth date, or email), so two people
    registering them at once cannot both miss the other's chart. Transaction-scoped advisory locks, taken in a fixed
    order."""
    keys = []
    if set(IDENTITY_FIELDS) <= data.keys():
        keys.append("|".join(str(data[f]).strip().lower() for f in IDENTITY_FIELDS))
    if data.get("email", "").strip():
        keys.append(data["email"].strip().lower())
    _identities_hold(keys)


def _duplicates_check(*, actor, identity: dict, excluding: Patient | None = None) -> None:
    """Refuse with PossibleDuplicate when `identity` (a legal name and birth date, and any email) may be another
    chart's, after holding the identity's locks: the one check for a new chart and a changed one. A change is
    checked among the charts the actor may open, so the warning never names a chart they could not read."""
    _lock_identity(identity)
    among = None if actor is None or excluding is None else selectors.patients_visible_to(user=actor)
    matches = selectors.patient_possible_duplicates(
        legal_first_name=identity.get("legal_first_name", ""),
        legal_last_name=identity.get("legal_last_name", ""),
        date_of_birth=identity.get("date_of_birth"),
        email=identity.get("email", ""),
        among=among,
        excluding=excluding,
    )
    if matches:
        raise PossibleDuplicate(matches, changing=excluding is not None)


def _identities_hold(keys: list[str]) -> None:
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"patient-identity:{key}"])


def _audit(*, actor, action: str, patient: Patient, fields: dict) -> None:
    """Who changed the chart. Row history keeps the values; the audit row names only the fields (they are PHI)."""
    access_log_write(
        actor=actor, action=action, subject=patient, patient_id=patient.pk, detail={"fields": sorted(fields)}
    )


@transaction.atomic
def patient_create(*, actor, confirm_duplicate: bool = False, **data) -> Patient:
    """Open a chart. A chart with the same legal name and birth date, or the same email, may be the same person:
    unless `confirm_duplicate`, that refuses with PossibleDuplicate (409) naming them."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise Unprocessable(f"Unknown fields: {', '.join(sorted(unknown))}")
    data = _checked(data)
    _check_primary_therapist(data.get("primary_therapist"))
    if set(IDENTITY_FIELDS) <= data.keys():
        if confirm_duplicate:
            _lock_identity(data)
        else:
            _duplicates_check(actor=actor, identity=data)
    patient = Patient(chart_number=_next_chart_number(), **data)
    patient.full_clean(exclude=["chart_number"])
    patient.save()
    _audit(actor=actor, action="patient_create", patient=patient, fields=data)
    for reaction in extensions.chart_opened:
        reaction(actor=actor, patient=patient)
    return patient


@transaction.atomic
def patient_update(*, actor, patient: Patient, confirm_duplicate: bool = False, **changes) -> Patient:
    """Change demographics. Row history (pghistory) keeps every prior version, including contact details.

    A legal name and birth date, or an email, changed to another chart's may make the two charts the same person:
    unless `confirm_duplicate`, that refuses with PossibleDuplicate (409) naming them, as creating a chart does.

    Consent to texts was given for a number: a new or removed mobile number withdraws it (access-logged like any
    change of reminder choices), so nothing is texted to the new number until the patient agrees to texts there. The
    reminders not yet sent follow the chart: they are planned again from it (extensions.reminder_details_changed).
    A new or removed email or mobile number is the one place `contact_changed_at` is set: the signed links sent
    before it (reminders' confirm and cancel, offers' accept and decline) stop working, and those of the reminders
    planned again here work."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise Unprocessable(f"Unknown fields: {', '.join(sorted(unknown))}")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    # Only what changes is checked: a number or date already on file is the front desk's to correct, not a reason
    # to refuse an unrelated change.
    changes = _checked({field: value for field, value in changes.items() if getattr(patient, field) != value})
    if "primary_therapist" in changes:
        _check_primary_therapist(changes["primary_therapist"])
    # Compared once normalised: the same number typed another way is no new number.
    changed = {field for field, value in changes.items() if getattr(patient, field) != value}
    email_changed = "email" in changes and changes["email"].lower() != patient.email.lower()
    if not confirm_duplicate and (email_changed or changed & set(IDENTITY_FIELDS)):
        # Only what changes is compared: a name or an email the chart already shared with another is known.
        identity_changed = bool(changed & set(IDENTITY_FIELDS))
        identity = {f: changes.get(f, getattr(patient, f)) for f in IDENTITY_FIELDS} if identity_changed else {}
        if email_changed:
            identity["email"] = changes["email"]
        _duplicates_check(actor=actor, identity=identity, excluding=patient)
    choices_before = reminder_state(patient)
    if "phone" in changed:
        patient.sms_consent_at = None
        patient.sms_consent_method = ""
        patient.reminder_sms = False
    if email_changed or "phone" in changed:
        # Links already sent to the old address or number stop working (rules.link_sent_before_contact_change).
        patient.contact_changed_at = clock.now()
    for field, value in changes.items():
        setattr(patient, field, value)
    patient.full_clean()
    patient.save()
    _audit(actor=actor, action="patient_update", patient=patient, fields=changes)
    choices_changed = _reminder_choices_log(actor=actor, patient=patient, before=choices_before)
    if email_changed and patient.user_id is not None:
        # A link mailed to the old address must not open the account any more.
        invitations_revoke_pending(user=patient.user)
    if choices_changed or changed & REMINDER_DETAIL_FIELDS:
        _reminders_replan(patient)
    if "primary_therapist" in changed and patient.primary_therapist_id is not None:
        extensions.treating_changed_notify(patient_ids=[patient.pk])
    return patient


def reminder_state(patient: Patient) -> dict:
    """A patient's reminder choices as the access log records them."""
    return {
        "reminder_email": patient.reminder_email,
        "reminder_sms": patient.reminder_sms,
        "sms_consent": patient.sms_consent_at is not None,
    }


@transaction.atomic
def patient_reminder_preferences_set(
    *,
    actor,
    patient: Patient,
    sms: bool,
    sms_consent: bool,
    email: bool | None = None,
    how: str = SmsConsentMethod.PORTAL,
) -> Patient:
    """SMS needs recorded consent; withdrawing consent also turns SMS reminders off. A new consent is the only way
    back to texts after a STOP reply. A change is access-logged with the old and new choices (who changed them, what
    a patient agreed to, and `how` a consent was given or withdrawn: in the portal, or at the desk), and the
    reminders not yet sent follow it (extensions.reminder_details_changed). `email` None keeps the email choice."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = reminder_state(patient)
    now = clock.now()
    if sms_consent and patient.sms_consent_at is None:
        patient.sms_consent_at = now
        patient.sms_consent_method = how
        patient.sms_opted_out_at = None
    if not sms_consent:
        patient.sms_consent_at = None
        patient.sms_consent_method = ""
        sms = False
    if sms and not patient.phone:
        raise Unprocessable(
            "Add a mobile number before turning on text reminders.", fields={"phone": ["Required for text reminders."]}
        )
    if email is not None:
        patient.reminder_email = email
    patient.reminder_sms = sms
    patient.save()
    consent_changed = before["sms_consent"] != sms_consent
    if _reminder_choices_log(actor=actor, patient=patient, before=before, how=how if consent_changed else None):
        _reminders_replan(patient)
    return patient


@transaction.atomic
def patient_sms_consent_record(*, actor, patient: Patient, consent: bool, how: str, text_reminders: bool = True):
    """The front desk records a patient's consent to texts given at the desk (`how`: spoken, or on a written form),
    or its withdrawal, through the service the portal's reminder choices use. Consent is for the mobile number on the
    chart, so it needs one. Recording consent is the explicit new agreement a patient who replied STOP needs before
    anything is texted to them again; recording it twice, or withdrawing none, is refused (409)."""
    permission_require(actor, "patients.record_sms_consent", patient)
    if how not in DESK_CONSENT_METHODS:
        choices = " or ".join(f'"{method}"' for method in DESK_CONSENT_METHODS)
        raise Unprocessable(
            f"Say how the patient told the clinic at the desk: {choices}.", fields={"how": [f"One of {choices}."]}
        )
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if consent and patient.sms_consent_at is not None:
        raise Conflict(f"{patient.display_name}'s consent to texts is on record already.")
    if not consent and patient.sms_consent_at is None:
        raise Conflict(f"{patient.display_name} has no consent to texts on record to withdraw.")
    if consent and not patient.phone:
        raise Unprocessable(
            "Add the patient's mobile number before recording their consent to texts: consent is for a number.",
            fields={"phone": ["Required for consent to texts."]},
        )
    return patient_reminder_preferences_set(
        actor=actor, patient=patient, sms=consent and text_reminders, sms_consent=consent, how=how
    )


def _reminder_choices_log(*, actor, patient: Patient, before: dict, how: str | None = None) -> bool:
    """Access-log a change of the patient's reminder choices (old and new, and how a change of consent came about);
    whether they changed."""
    after = reminder_state(patient)
    if after == before:
        return False
    detail = {"before": before, "after": after}
    if how is not None:
        detail["how"] = str(how)
    access_log_write(
        actor=actor, action="reminder_preferences_change", subject=patient, patient_id=patient.pk, detail=detail
    )
    return True


def _reminders_replan(patient: Patient) -> None:
    for reaction in extensions.reminder_details_changed:
        reaction(patient=patient)


@transaction.atomic
def patient_sms_opt_out(*, patient: Patient) -> Patient:
    """A STOP reply: no more texts until the patient consents again; texts queued for them are withdrawn."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = reminder_state(patient)
    patient.sms_opted_out_at = clock.now()
    patient.sms_consent_at = None
    patient.sms_consent_method = ""
    patient.reminder_sms = False
    patient.save()
    if reminder_state(patient) != before:
        _reminders_replan(patient)
    return patient


@transaction.atomic
def patient_discharge(*, actor, patient: Patient, on=None) -> Patient:
    """Care has ended: nothing can be booked for them until they are reactivated, and on waitlists they are passed
    over while discharged; an offer they hold is declined and passes on (the apps above react). Refused (409) while
    anything stands in the way, such as sessions still booked; the chart itself stays as it is."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.status == PatientStatus.DISCHARGED:
        raise InvalidTransition(f"{patient.display_name} is already discharged.")
    if refusal := discharge_refusal(patient=patient):
        raise Conflict(refusal)
    patient.status = PatientStatus.DISCHARGED
    patient.discharged_on = on or clock.local_now().date()
    patient.save()
    _audit(actor=actor, action="patient_discharge", patient=patient, fields={"discharged_on": patient.discharged_on})
    for reaction in extensions.discharged:
        reaction(actor=actor, patient=patient)
    return patient


def patient_in_care_hold(patient_id: int) -> bool:
    """Whether the patient is in care, read under a lock a discharge waits for (and that waits for a discharge in
    flight): what a service that gives a patient something checks just before it writes."""
    status = Patient.objects.select_for_update(no_key=True).values_list("status", flat=True).get(pk=patient_id)
    return status == PatientStatus.ACTIVE


def discharge_refusal(*, patient: Patient) -> str:
    """Why an active patient cannot be discharged now, "" when they can: what the chart asks before offering it,
    and what discharging checks under its lock (the apps above register what stands in the way). Every reason at
    once, so the front desk clears them in one go rather than meeting the next after clearing the first."""
    return " ".join(refusal for blocker in extensions.discharge_blockers if (refusal := blocker(patient=patient)))


@transaction.atomic
def patient_reactivate(*, actor, patient: Patient) -> Patient:
    """A discharged patient comes back: they can be booked again and are served from waitlists in their place, so
    what came free while they were passed over is offered to them if they are first in line (the apps above react)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.status != PatientStatus.DISCHARGED:
        raise InvalidTransition(f"{patient.display_name} is not discharged.")
    patient.status = PatientStatus.ACTIVE
    patient.discharged_on = None
    patient.save()
    _audit(actor=actor, action="patient_reactivate", patient=patient, fields={"status": patient.status})
    for reaction in extensions.reactivated:
        reaction(actor=actor, patient=patient)
    return patient


@transaction.atomic
def patient_invite_to_portal(*, actor, patient: Patient):
    """Give the patient a portal account (inactive until they set a password) and email the link."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.email:
        raise Unprocessable(
            "The patient needs an email address for a portal invitation.", fields={"email": ["Required."]}
        )
    if not selectors.portal_invitable(patient):
        raise Conflict("This patient already has a portal account.")
    if patient.user is None:
        # One address signs in to one account: a chart sharing its email with another account (a parent's, a staff
        # member's own) needs an address of its own before it can have a portal.
        taken = Conflict(
            f"{patient.email} already signs in to another account: give the chart the patient's own email "
            "address before inviting them.",
            fields={"email": ["Already used by another account."]},
        )
        if email_signs_in(email=patient.email):
            raise taken
        try:
            with transaction.atomic():  # the same address invited from another chart at this moment
                user = user_create(
                    email=patient.email,
                    first_name=patient.first_name,
                    last_name=patient.legal_last_name,
                    roles=[Role.PATIENT],
                )
        except IntegrityError as exc:
            raise taken from exc
        user.is_active = False
        user.save(update_fields=["is_active"])
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
    return invitation_send(actor=actor, email=patient.email, role=Role.PATIENT, user=patient.user)
