import datetime as dt

import rules
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property

from apps.core import clock
from apps.core.models import TimeStampedModel

from .access import Access, access_of
from .disciplines import Discipline
from .roles import STAFF_ROLES, Role
from .rules import CLINICAL_PERMS


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: staff or patient. Email is the login."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May open the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session of the account (services.sessions_end_others): sessions are not listed per user,
    # so each one carries a hash of this with the password (get_session_auth_hash), and a hash made before the raise
    # no longer matches on its next request.
    sessions_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @cached_property
    def _access(self) -> Access:
        return access_of(self)

    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self):
        # Sessions made under a SECRET_KEY being rotated out keep working, as Django's own hash does.
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=secret)

    def _session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password while the account's sessions were never ended, so nobody is signed out
        by the field's arrival; once they were, a hash of the password and the generation, under its own salt."""
        if not self.sessions_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "apps.accounts.models.User.sessions_generation",
            f"{self.sessions_generation}:{self.password}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def access_reload(self) -> None:
        """Read roles and permissions afresh on this object (after changing its groups)."""
        self.__dict__.pop("_access", None)

    @property
    def roles(self) -> frozenset[str]:
        return self._access.roles

    @property
    def _perm_cache(self) -> frozenset[str]:
        # ModelBackend answers has_perm from this attribute when the user has it, instead of two queries.
        return self._access.perms

    def has_perm(self, perm: str, obj=None) -> bool:
        if perm in CLINICAL_PERMS:
            return self.is_active and rules.has_perm(perm, self, obj)
        return super().has_perm(perm, obj)

    @property
    def invitation_pending(self) -> bool:
        """Invited and never accepted: inactive, with no password yet (a deactivated account keeps its password)."""
        return not self.is_active and not self.has_usable_password()

    @property
    def can_sign_in(self) -> bool:
        """Active with a password set (neither deactivated nor an invitation not yet accepted)."""
        return self.is_active and self.has_usable_password()

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_clinic_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_patient(self) -> bool:
        return Role.PATIENT in self.roles

    @property
    def requires_mfa(self) -> bool:
        """Everyone who can reach staff or admin pages: any clinic role, the Django admin, a superuser."""
        return self.is_clinic_staff or self.is_staff or self.is_superuser


class TherapistProfile(TimeStampedModel):
    """Professional details of a therapist; a pre-licensed therapist has a supervisor."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="therapist_profile")
    discipline = models.CharField(
        max_length=20,
        choices=Discipline.choices,
        default=Discipline.PSYCHOTHERAPY,
        help_text="Decides the services they are booked for and the notes they may read.",
    )
    credentials = models.CharField(max_length=100, blank=True, help_text="e.g. LCSW, PhD, LMFT")
    license_type = models.CharField(
        max_length=30, blank=True, help_text="The license the number belongs to, e.g. LICSW, LMHC, Psychologist"
    )
    license_number = models.CharField(max_length=50, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    is_prelicensed = models.BooleanField(default=False)
    supervisor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees")
    bio = models.TextField(blank=True)
    reduced_fee_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most reduced-fee clients this therapist carries; empty means no cap."
    )
    accepts_patient_messages = models.BooleanField(
        default=False,
        help_text="The therapist's own patients may send them secure messages (when the clinic allows it).",
    )
    accepts_new_patients = models.BooleanField(
        default=True, help_text="Open to new patients: patients may book a first session when self-booking is on."
    )
    self_booking = models.BooleanField(
        "Patients may book and move sessions online",
        default=False,
        help_text="Patients book a first session or move their own sessions into this therapist's free time.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_prelicensed=False) | models.Q(supervisor__isnull=False),
                name="prelicensed_therapist_has_supervisor",
            ),
            models.CheckConstraint(
                condition=models.Q(npi="") | models.Q(npi__regex=r"^\d{10}$"), name="npi_is_ten_digits"
            ),
        ]

    def __str__(self) -> str:
        suffix = f", {self.credentials}" if self.credentials else ""
        return f"{self.user.full_name}{suffix}"


class EmailFailure(models.TextChoices):
    """Why the worker could not email an invitation or an account email, in words staff can act on. Only these are
    kept, never the mail server's own reply, which may echo addresses, settings or the message."""

    UNREACHABLE = "unreachable", "the mail server could not be reached"
    ADDRESS_REFUSED = "address_refused", "the mail server refused the address"
    CLINIC_REFUSED = "clinic_refused", "the mail server refused the clinic's account or sending address"
    REFUSED = "refused", "the mail server refused the message"
    ERROR = "error", "an error in the clinic's system stopped it"


class Invitation(TimeStampedModel):
    """An emailed link that lets a person set their password and join with a role."""

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    # Empty until the worker makes the link as it sends the email: the request that invites never holds a token.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    # What became of the email, so staff know whether the link reached the person: when the worker handed it to the
    # mail server (`email_unconfirmed` when the server took the whole message but never said so), or when it gave up
    # after the last retry and why.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_unconfirmed = models.BooleanField(default=False)
    email_failed_at = models.DateTimeField(null=True, blank=True)
    email_failure = models.CharField(max_length=20, choices=EmailFailure.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_failed_at__isnull=True, email_failure="")
                | (models.Q(email_failed_at__isnull=False) & ~models.Q(email_failure="")),
                name="invitation_email_failure_has_a_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(email_unconfirmed=False) | models.Q(emailed_at__isnull=False),
                name="invitation_email_unconfirmed_was_emailed",
            ),
            # Only the newest link of a person can work: sending a new one revokes the earlier ones.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_pending_invitation_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    def is_usable(self, at: dt.datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and at < self.expires_at

    @property
    def standing(self) -> str:
        """How an invitation not yet accepted stands, as staff pages tell it: "not emailed" (the worker gave up, so
        the link never arrived, whether or not it has expired since), "expired", "emailed", or "waiting" (for the
        worker to send it)."""
        if self.email_failed_at is not None:
            return "not emailed"
        if not self.is_usable(clock.now()):
            return "expired"
        return "emailed" if self.emailed_at is not None else "waiting"


class AccountEmailKind(models.TextChoices):
    PASSWORD_RESET = "password_reset", "Password reset link"
    PASSWORD_CHANGED = "password_changed", "Password changed notice"
    SIGN_IN_EMAIL_CHANGED = "sign_in_email_changed", "Sign-in email changed notice"
    SIGN_IN_EMAIL_CONFIRM = "sign_in_email_confirm", "Link confirming a new sign-in email"


class AccountEmail(TimeStampedModel):
    """One email about an account (a reset link, the notice of a changed password or sign-in email) to one address,
    and what became of it, so an admin can tell whether it reached the person: when the mail server took it
    (`unconfirmed` when it took the whole message but never said so), or when the worker gave up after its last
    retry. `attempts` counts the tries and `last_failure` says why the latest one failed. Never the email's words
    nor its link: the worker makes those as it sends."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_emails")
    kind = models.CharField(max_length=30, choices=AccountEmailKind.choices)
    to_address = models.EmailField()
    # A sign-in email change is told at the address it was changed from and the one it was changed to (the user's).
    # A link confirming a new sign-in email goes to the new address and names the one it replaces here: the change
    # the patient asked for, which the link makes once opened (services.sign_in_email_change_confirm).
    old_address = models.EmailField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_failure = models.CharField(max_length=20, choices=EmailFailure.choices, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    unconfirmed = models.BooleanField(default=False)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="account_email_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(failed_at__isnull=True) | ~models.Q(last_failure=""),
                name="account_email_failure_has_a_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(sent_at__isnull=True) | models.Q(failed_at__isnull=True),
                name="account_email_sent_or_failed",
            ),
            models.CheckConstraint(
                condition=models.Q(unconfirmed=False) | models.Q(sent_at__isnull=False),
                name="account_email_unconfirmed_was_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address}"

    @property
    def standing(self) -> str:
        """How it stands, as staff pages tell it: "not emailed" (the worker gave up), "emailed", "retrying" (a try
        failed, another comes) or "waiting" (for the worker)."""
        if self.failed_at is not None:
            return "not emailed"
        if self.sent_at is not None:
            return "emailed"
        return "retrying" if self.attempts else "waiting"


class ApiToken(TimeStampedModel):
    """A personal API credential. Only its own user makes one, from a session that passed MFA.

    The secret is shown once and only its SHA-256 is kept; `prefix` finds the row without it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the script that uses it.")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_creation"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__lte=models.F("created_at") + dt.timedelta(days=366)),
                name="api_token_lives_at_most_a_year",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_has_a_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at
