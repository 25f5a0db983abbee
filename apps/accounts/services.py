"""Every write to accounts: users, roles, invitations, clinic settings."""

import datetime as dt
import functools
import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.core.mail import message_id
from apps.core.models import NPI_PATTERN, ClinicSettings

from . import extensions, sign_in_email_links, tasks
from .delivery import email_failure_of, send_once
from .disciplines import Discipline, discipline_of
from .models import AccountEmail, AccountEmailKind, ApiToken, Invitation, TherapistProfile, User
from .roles import STAFF_ROLES, Role
from .rules import can_revoke_api_token
from .selectors import (
    booked_sessions_ahead,
    email_signs_in,
    invitation_live,
    other_active_admins,
    supervisees_practising,
    supervisor_shortfalls,
    upcoming_sessions_outside,
)

API_TOKEN_LIFETIMES_DAYS = (7, 30, 90, 365)


def token_hash(token: str) -> str:
    """SHA-256 is enough for our secrets: each is 256 random bits, so there is nothing to guess or stretch."""
    return hashlib.sha256(token.encode()).hexdigest()


def roles_ensure() -> None:
    """Create the role groups (idempotent): one query when they all exist, as they nearly always do."""
    existing = set(Group.objects.filter(name__in=Role.values).values_list("name", flat=True))
    for role in Role:
        if role.value not in existing:
            Group.objects.get_or_create(name=role.value)


@transaction.atomic
def user_create(
    *, email: str, first_name: str = "", last_name: str = "", roles: list[str], password: str | None = None
) -> User:
    roles_ensure()
    user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@transaction.atomic
def user_roles_set(*, actor: User, user: User, roles: list[str]) -> User:
    roles_ensure()
    before = sorted(user.roles)
    user.groups.set(Group.objects.filter(name__in=roles))
    user.access_reload()
    access_log_write(
        actor=actor, action="roles_change", subject=user, detail={"before": before, "after": sorted(roles)}
    )
    return user


# Why an account's sessions were ended, as the access log records it (`sessions_end`, detail "because").
SESSIONS_END_REASONS = frozenset(
    {"asked", "ended_by_admin", "sign_in_email_change", "two_step_on", "authenticator_removed"}
)


@transaction.atomic
def sessions_end_others(*, actor: User, user: User, because: str, keep=None) -> User:
    """Sign `user` out everywhere: each of their sessions ends at its next request, in every browser, but the
    request `keep` (one of `user`'s own, the one that asked), which stays signed in, its session under a new key.
    Sessions are not listed per account, so the account's sessions generation is raised, which every session's
    auth hash carries (User.get_session_auth_hash): Django's check and the fast path (session_user) both refuse a
    hash made before. API tokens are credentials of their own and keep working. Logged as `sessions_end`, with why
    (one of SESSIONS_END_REASONS) and whether the current session was kept."""
    if because not in SESSIONS_END_REASONS:
        raise ValueError(f"Not a reason to end sessions: {because}")
    if keep is not None and keep.user.pk != user.pk:
        raise ValueError("Only the account's own session is kept.")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.sessions_generation += 1
    user.save(update_fields=["sessions_generation"])
    if keep is not None:
        update_session_auth_hash(keep, user)
        # The request's own user answers with the new hash for the rest of the request, as a fresh read would.
        keep.user.sessions_generation = user.sessions_generation
    access_log_write(
        actor=actor, action="sessions_end", subject=user, detail={"because": because, "current_kept": keep is not None}
    )
    return user


def staff_changes_one_at_a_time() -> None:
    """Two admins deactivating each other at once would each still see the other active; changes to who may do
    what are serialised (a transaction-scoped advisory lock), so the second one counts after the first. So are
    changes to who supervises whom and to a supervisor's licence or discipline: two therapists named each other's
    supervisor at once would each still see the other licensed, and a supervisor named while they leave, or handed
    notes to co-sign while they leave, would be left unable to co-sign."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["accounts:staff-access"])


def _staff_keeps_the_clinic_running(*, user: User, losing_admin: bool, losing_therapist: bool, doing: str) -> None:
    """Refuses a change that would leave no active admin, or a therapist's booked sessions with nobody to see them."""
    if refusal := _clinic_left_without(
        user=user, losing_admin=losing_admin, losing_therapist=losing_therapist, doing=doing
    ):
        raise Conflict(refusal)


def _clinic_left_without(*, user: User, losing_admin: bool, losing_therapist: bool, doing: str) -> str:
    """Why `user` cannot lose the admin or therapist role now (deactivated, or the role taken away), every reason at
    once with what to do about each, or "" when nothing stands in the way."""
    reasons = []
    if losing_admin and Role.ADMIN in user.roles and not other_active_admins(user=user):
        reasons.append(f"{_name(user)} is the clinic's only active admin: make someone else an admin")
    if losing_therapist and Role.THERAPIST in user.roles and (ahead := booked_sessions_ahead(therapist=user)):
        reasons.append(
            f"{_name(user)} has {ahead} booked session{'s' if ahead != 1 else ''} to come: move "
            f"{'them' if ahead != 1 else 'it'} to another therapist or cancel {'them' if ahead != 1 else 'it'}"
        )
    if losing_therapist:
        reasons += _cosigning_left_behind(user=user)
    return _first_these(reasons, doing=doing)


def _cosigning_left_behind(*, user: User) -> list[str]:
    """Why `user` cannot stop being able to co-sign, each with what to do about it (_supervisees_kept,
    _cosigns_awaiting)."""
    return [*_supervisees_kept(user), *_cosigns_awaiting(user)]


def _supervisees_kept(user: User, *, because: str = "") -> list[str]:
    """Therapists practising under `user` name them as supervisor: their next notes would await `user`'s
    co-signature, and handing over the notes awaiting it already does not change that. A supervisee who left does not
    hold them: coming back checks the supervisor again (staff_reactivation_refusal). `because` says why it matters to
    the change asked, when that is not plain."""
    if not (supervising := _supervising(user)):
        return []
    return [f"{_name(user)} {supervising}{because}: name them another supervisor on their clinical profile"]


def _cosigns_awaiting(user: User) -> list[str]:
    """Notes awaiting `user`'s co-signature, which nobody else may give until they are handed over: the apps above
    say so (extensions.cosigner_leaving_blockers)."""
    return [reason for blocker in extensions.cosigner_leaving_blockers if (reason := blocker(user=user))]


_HOW_MANY = {2: "two", 3: "three", 4: "four"}


def _first_these(reasons: list[str], *, doing: str) -> str:
    """One refusal that names every reason at once, so an admin sees all they have to do before `doing`, not one
    reason per attempt; "" when there is none."""
    if len(reasons) <= 1:
        return "".join(f"{reason} before {doing}." for reason in reasons)
    things = _HOW_MANY.get(len(reasons), str(len(reasons)))
    return f"Before {doing}, {things} things come first. " + " ".join(f"{reason}." for reason in reasons)


def staff_reactivation_refusal(*, user: User) -> str:
    """Why `user` cannot be reactivated now, "" when they can: what the staff page asks before offering it, and what
    reactivating checks under its lock. A therapist comes back to the supervisor their profile names only if that
    supervisor can still supervise them (the supervisor may have left meanwhile, free to since nobody practising
    was theirs): otherwise they are chosen another first, on their clinical profile."""
    if not user.has_role(Role.THERAPIST):
        return ""
    return _supervision_to_come_back_to(user=user, doing="reactivating them")


def _supervision_to_come_back_to(*, user: User, doing: str) -> str:
    """Why `user` cannot take up practice again (reactivated, invited again, given the therapist role back) under the
    supervisor their profile names, "" when they can: the rule therapist_supervision_check keeps for a supervisor
    being named, asked of the one named already. Read under the staff-changes lock, so a supervisor leaving at the
    same moment is counted before or after, never missed."""
    profile = TherapistProfile.objects.filter(user=user, supervisor__isnull=False).select_related("supervisor").first()
    if profile is None:
        return ""
    wrong, _, _ = _supervisor_unfit(therapist=user, supervisor=profile.supervisor, discipline=profile.discipline)
    if not wrong:
        return ""
    which = "an active supervisor" if profile.is_prelicensed else "an active supervisor, or none,"
    return f"Choose {_name(user)} {which} on their clinical profile before {doing}: {wrong}."


def staff_deactivation_refusal(*, actor: User, user: User) -> str:
    """Why `user` cannot be deactivated by `actor` now, "" when they can: what the staff page asks before offering
    it, and what deactivating checks under its lock."""
    if not _practising(user):
        return f"{_name(user)} is already deactivated."
    if user.pk == actor.pk:
        return "You cannot deactivate your own account; another admin can."
    return _clinic_left_without(user=user, losing_admin=True, losing_therapist=True, doing="deactivating them")


@transaction.atomic
def staff_roles_change(*, actor: User, user: User, roles: list[str], profile: dict | None = None) -> User:
    """Give a staff member the staff roles chosen (a patient role they hold stays). At least one staff role is
    needed (deactivating is how someone leaves); the last active admin keeps theirs, and a therapist keeps theirs
    while sessions are booked with them, they supervise therapists or notes await their co-signature. Someone
    practising given the therapist role back has a supervisor who can supervise them (staff_reactivation_refusal
    says why), or is named one in the same step: `profile`, the supervision fields of their clinical profile
    (supervisor, is_prelicensed), checked by therapist_supervision_check and saved by therapist_profile_change."""
    if unknown := set(profile or ()) - {"supervisor", "is_prelicensed"}:
        raise TypeError(f"Not a supervision field given with the roles: {', '.join(sorted(unknown))}")
    chosen = set(roles)
    if not chosen or not chosen <= STAFF_ROLES:
        raise Unprocessable("Choose one or more staff roles.", fields={"roles": ["Choose one or more."]})
    staff_changes_one_at_a_time()
    user = User.objects.select_for_update().get(pk=user.pk)
    _staff_keeps_the_clinic_running(
        user=user,
        losing_admin=Role.ADMIN not in chosen,
        losing_therapist=Role.THERAPIST not in chosen,
        doing="taking that role away",
    )
    # Someone not practising (deactivated) is asked when they come back instead: a therapist again by then, they have
    # the clinical profile on their page to choose a supervisor on, which a non-therapist has not.
    back = Role.THERAPIST in chosen and Role.THERAPIST not in user.roles and _practising(user)
    # Everything is checked before the roles change: roles read in a transaction then rolled back would stay cached.
    if back and profile:
        stored = TherapistProfile.objects.filter(user=user).first() or TherapistProfile(user=user)
        therapist_supervision_check(
            therapist=user, **{name: profile.get(name, getattr(stored, name)) for name in _SUPERVISION_FIELDS}
        )
    elif back and (refusal := _supervision_to_come_back_to(user=user, doing="giving them the therapist role")):
        raise Conflict(refusal)
    kept = {Role.PATIENT} & user.roles
    losing_therapist = Role.THERAPIST in user.roles and Role.THERAPIST not in chosen
    user = user_roles_set(actor=actor, user=user, roles=sorted(chosen | kept))
    if losing_therapist:
        for reaction in extensions.therapist_role_taken:
            reaction(actor=actor, user=user)
    if back and profile:
        # Only a therapist has a clinical profile to change: the role first.
        therapist_profile_change(actor=actor, user=user, **profile)
    return user


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> User:
    """Someone leaves the clinic: they can no longer sign in (their open sessions end at their next request), their
    API tokens, pending invitations and calendar feed links stop working, and their records stay as they were. Not
    oneself, not the last active admin, not a therapist with sessions still booked or therapists they supervise.
    Someone invited who never accepted is not active yet, but their link is withdrawn the same way, so it never
    activates the account."""
    staff_changes_one_at_a_time()
    user = User.objects.select_for_update().get(pk=user.pk)
    if not _practising(user):
        raise InvalidTransition(f"{_name(user)} is already deactivated.")
    if refusal := staff_deactivation_refusal(actor=actor, user=user):
        raise Conflict(refusal)
    now = clock.now()
    user.is_active = False
    user.save(update_fields=["is_active"])
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor, updated_at=now
    )
    invitations_revoke_pending(user=user)
    access_log_write(actor=actor, action="staff_deactivate", subject=user, detail={"tokens_revoked": tokens})
    for reaction in extensions.staff_deactivated:
        reaction(actor=actor, user=user)
    return user


def _practising(user: User) -> bool:
    """Active, or invited with a link that still works (accepting it makes them active)."""
    return user.is_active or (user.invitation_pending and invitation_live(user=user))


@transaction.atomic
def staff_reactivate(*, actor: User, user: User) -> User:
    """Someone comes back: they sign in with their password and authenticator as before. A therapist comes back to a
    supervisor who can still supervise them, or is refused (staff_reactivation_refusal)."""
    # Their supervisor leaving at the same moment counts them after this, or this sees them gone.
    staff_changes_one_at_a_time()
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise InvalidTransition(f"{user.full_name} is already active.")
    if user.invitation_pending:
        raise Conflict(f"{user.full_name} never accepted their invitation: send them a new one instead.")
    if refusal := staff_reactivation_refusal(user=user):
        raise Conflict(refusal)
    user.is_active = True
    user.save(update_fields=["is_active"])
    access_log_write(actor=actor, action="staff_reactivate", subject=user)
    return user


@transaction.atomic
def staff_reinvite(*, actor: User, user: User) -> Invitation:
    """A new invitation link for someone who has not accepted theirs (the old link stops working). A therapist is
    invited again only to a supervisor who can still supervise them, as when reactivated."""
    staff_changes_one_at_a_time()
    if not user.invitation_pending:
        raise InvalidTransition(f"{user.full_name} has accepted their invitation already.")
    if user.has_role(Role.THERAPIST) and (
        refusal := _supervision_to_come_back_to(user=user, doing="inviting them again")
    ):
        raise Conflict(refusal)
    role = min(user.roles & STAFF_ROLES)
    access_log_write(actor=actor, action="staff_reinvite", subject=user, detail={"role": role})
    return invitation_send(actor=actor, email=user.email, role=role, user=user)


@transaction.atomic
def staff_details_change(*, actor: User, user: User, first_name: str, last_name: str, email: str, keep=None) -> User:
    """Correct a staff member's name, or the email they sign in with. Someone who has not accepted their invitation
    gets a new link at the new address (the old one stops working: a mistyped address is the usual reason);
    someone who signs in already is told at the old address and the new one, so a change they did not ask for
    does not go unnoticed, and every session of theirs ends, as a patient's do when they change theirs (an admin
    correcting their own keeps the request `keep` they do it in). Another account's address is refused (409)."""
    first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip().lower()
    missing = {
        name: ["Required."] for name, value in (("first_name", first_name), ("last_name", last_name)) if not value
    }
    if missing:
        raise Unprocessable("Give a first and a last name.", fields=missing)
    user = User.objects.select_for_update().get(pk=user.pk)
    wanted = {"first_name": first_name, "last_name": last_name, "email": email}
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    if not changed:
        return user
    taken = Conflict(f"Another account signs in with {email}.", fields={"email": ["Already in use."]})
    if "email" in changed and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise taken
    old_email = user.email
    for name in changed:
        setattr(user, name, wanted[name])
    try:
        with transaction.atomic():
            user.save(update_fields=changed)
    except IntegrityError:
        raise taken from None  # the same address taken by another change meanwhile
    access_log_write(actor=actor, action="staff_details_change", subject=user, detail={"changed": changed})
    if "email" in changed:
        if user.invitation_pending:
            invitation_send(actor=actor, email=email, role=min(user.roles & STAFF_ROLES), user=user)
        else:
            _sign_in_email_changed_tell(user=user, old_email=old_email)
            user = sessions_end_others(actor=actor, user=user, because="sign_in_email_change", keep=keep)
    return user


def _sign_in_email_changed_tell(*, user: User, old_email: str) -> None:
    """Tell someone at their old address and their current one that the email they sign in with was changed, so a
    change they did not ask for does not go unnoticed (the old address is the one that would miss it). One email to
    each address, so one address refusing it does not keep it from the other."""
    account_emails_queue(
        user=user, kind=AccountEmailKind.SIGN_IN_EMAIL_CHANGED, addresses=[old_email, user.email], old_address=old_email
    )


_SIGN_IN_EMAIL_TAKEN = "Another account already signs in with this email address."
_SIGN_IN_EMAIL_LINK_DEAD = (
    "This link does not work any more: it was used, it expired, or a newer one was sent. Ask for a new one under "
    "Settings."
)


@transaction.atomic
def sign_in_email_change_ask(*, user: User, email: str) -> AccountEmail:
    """Email a link to `email` that makes it the address `user` signs in with once opened
    (sign_in_email_change_confirm): nothing changes before, so an address mistyped or not the person's own never
    becomes their sign-in. The caller has had the password typed again. Each request replaces the earlier ones: only
    the newest link works. An address another account signs in with is refused (409), in the words the portal
    invitation uses, which say no more about that account."""
    email = email.strip().lower()
    user = User.objects.select_for_update().get(pk=user.pk)
    if email == user.email:
        raise Unprocessable("That is already the email you sign in with.", fields={"email": ["Already yours."]})
    if email_signs_in(email=email):
        raise Conflict(_SIGN_IN_EMAIL_TAKEN, fields={"email": ["Already used by another account."]})
    (row,) = account_emails_queue(
        user=user, kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM, addresses=[email], old_address=user.email
    )
    access_log_write(actor=user, action="sign_in_email_change_ask", subject=user, detail={"to": email})
    return row


def sign_in_email_change_open(row: AccountEmail) -> bool:
    """Whether a confirmation link of this request may still change the sign-in email: the account signs in as it
    did when it was asked (so a link works once, and not after the address changed another way), may sign in, and
    asked nothing newer."""
    user = row.user
    return (
        user.email == row.old_address
        and user.can_sign_in
        and not AccountEmail.objects.filter(
            user=user, kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM, pk__gt=row.pk
        ).exists()
    )


def sign_in_email_change_for_token(*, user: User, token: str) -> AccountEmail:
    """The request a confirmation link names, for `user` (who must be signed in to open it): refused for a link
    forged, altered or expired, one made for another account (whoever opens it changes nothing of anybody's), or one
    no longer open (sign_in_email_change_open)."""
    signed = sign_in_email_links.confirm_token_read(token)
    if signed is None:
        raise NotFound(_SIGN_IN_EMAIL_LINK_DEAD)
    if signed["user"] != user.pk:
        raise PermissionDenied(
            "This link was sent for another account. Sign out, then open it again and sign in with the account that "
            "asked for it."
        )
    row = (
        AccountEmail.objects.select_related("user")
        .filter(pk=signed["request"], user=user, kind=AccountEmailKind.SIGN_IN_EMAIL_CONFIRM)
        .first()
    )
    if row is None or not sign_in_email_change_open(row):
        raise NotFound(_SIGN_IN_EMAIL_LINK_DEAD)
    return row


@transaction.atomic
def sign_in_email_change_confirm(*, user: User, token: str, keep=None) -> User:
    """Make the address a confirmation link was sent to the one `user` signs in with, once, in one transaction:
    their invitations not yet accepted and reset links stop working (a reset link is tied to the address it was made
    for), every session of theirs ends but the request `keep` it is confirmed in (someone else signed in as them
    keeps no hold on the account), both addresses are told (_sign_in_email_changed_tell) and the change is in the
    access log. An address taken by another account since it was asked is refused (409)."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # a second click waits, then sees the link used
    row = sign_in_email_change_for_token(user=user, token=token)
    user = row.user
    taken = Conflict(_SIGN_IN_EMAIL_TAKEN)
    if email_signs_in(email=row.to_address):
        raise taken
    user.email = row.to_address
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        raise taken from None  # the same address taken by another account meanwhile
    invitations_revoke_pending(user=user)
    access_log_write(
        actor=user,
        action="sign_in_email_change",
        subject=user,
        detail={"before": row.old_address, "after": user.email},
    )
    _sign_in_email_changed_tell(user=user, old_email=row.old_address)
    return sessions_end_others(actor=user, user=user, because="sign_in_email_change", keep=keep)


@transaction.atomic
def staff_invite(*, actor: User, email: str, first_name: str, last_name: str, role: str) -> Invitation:
    """Create an inactive staff account and email the link that activates it."""
    user = user_create(email=email, first_name=first_name, last_name=last_name, roles=[role])
    user.is_active = False
    user.save(update_fields=["is_active"])
    access_log_write(actor=actor, action="staff_invite", subject=user, detail={"role": role})
    return invitation_send(actor=actor, email=email, role=role, user=user)


def invitations_revoke_pending(*, user: User) -> int:
    """Revoke every invitation of `user` not yet accepted: an old link must never set a password."""
    return Invitation.objects.filter(user=user, accepted_at=None, revoked_at=None).update(
        revoked_at=clock.now(), updated_at=clock.now()
    )


@transaction.atomic
def invitation_send(*, actor: User | None, email: str, role: str, user: User | None = None) -> Invitation:
    """Create an invitation and have the worker email its link once the transaction commits
    (invitation_email_send). Only the invitation's id travels to the worker, which makes the link as it sends it;
    only the link's hash is ever stored.

    Only the newest link works: sending one revokes the person's earlier ones (at most one pending invitation per
    account, also a database constraint). The link expires settings.CLINIC_INVITATION_VALID_HOURS after the
    invitation was made.
    """
    if user is not None:
        # Two re-invitations at once queue here, so the second revokes the first instead of colliding with it.
        User.objects.select_for_update().filter(pk=user.pk).first()
        invitations_revoke_pending(user=user)
    invitation = Invitation.objects.create(
        email=email.lower(),
        role=role,
        expires_at=clock.now() + dt.timedelta(hours=settings.CLINIC_INVITATION_VALID_HOURS),
        user=user,
        invited_by=actor,
    )
    # A mail server that is down must not fail the invitation, nor leave staff unsure it was saved: the worker
    # sends it, and retries.
    transaction.on_commit(functools.partial(tasks.invitation_email_send.delay, invitation.pk), robust=True)
    return invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitation's link, made here, at most once (`delivery.send_once`), if the invitation may still be
    accepted: one revoked (sent again, withdrawn, its address corrected), accepted or expired since it was asked for
    sends nothing, nor one emailed already. Each try makes a new link and keeps only its hash, so the link of an
    earlier try the mail server did not take (a retry) stops working: only the link of the email that went out
    works."""

    def mark_sent() -> EmailMultiAlternatives | None:
        # Under the row's lock, a revocation either came first (nothing is sent) or waits for the new hash, which
        # commits with the email's end mark (`delivery.send_once`): the link works by the time it arrives. An email
        # handed over already (a task delivered again) is not sent twice.
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.emailed_at is not None or not invitation.is_usable(clock.now()):
            return None
        token = secrets.token_urlsafe(32)
        invitation.token_hash = token_hash(token)
        invitation.emailed_at = clock.now()
        invitation.save(update_fields=["token_hash", "emailed_at", "updated_at"])
        link = absolute_url(reverse("accounts:invitation_accept", args=[token]))
        clinic = ClinicSettings.load()
        context = {"link": link, "clinic": clinic, "expires_at": invitation.expires_at}
        email = _account_email(
            key=f"invitation-{invitation.pk}",
            to=invitation.email,
            subject=f"Your invitation to {clinic.name}",
            body=render_to_string("accounts/email/invitation.txt", context),
        )
        email.attach_alternative(render_to_string("accounts/email/invitation.html", context), "text/html")
        return email

    def not_taken(error: BaseException, counted: bool) -> None:
        Invitation.objects.filter(pk=invitation_id).update(
            emailed_at=None, email_unconfirmed=False, updated_at=clock.now()
        )

    def unconfirmed() -> None:
        # Counted as emailed, as one the server confirmed (sending it again could give the person two links, only
        # the newest working), but staff are told, so they can ask whether it arrived.
        Invitation.objects.filter(pk=invitation_id, emailed_at__isnull=False).update(
            email_unconfirmed=True, updated_at=clock.now()
        )

    return send_once(mark_sent=mark_sent, not_taken=not_taken, unconfirmed=unconfirmed) != "nothing"


def invitation_email_failure_record(*, invitation_id: int, error: BaseException) -> None:
    """The worker gave up emailing the invitation (its last retry failed, or something no retry mends): the
    invitation says when and why, so staff can send it again. An email handed to the mail server already stays
    sent. The reason is one of EmailFailure, never the error's text."""
    Invitation.objects.filter(pk=invitation_id, emailed_at=None).update(
        email_failed_at=clock.now(), email_failure=email_failure_of(error), updated_at=clock.now()
    )


def invitation_for_token(token: str) -> Invitation:
    invitation = Invitation.objects.filter(token_hash=token_hash(token)).select_related("user").first()
    if invitation is None or not invitation.is_usable(clock.now()):
        raise NotFound("This invitation link is not valid or has expired.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the password and activate the account; a link works once, before it expires, and only while it is the
    person's newest. The login email becomes the address the link was sent to (the one that proved it works). A
    staff member's roles stay as they are now (the invitation's role is what they were invited as, not a grant)."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable(clock.now()):
        # Accepted, revoked or expired while this request waited for the lock.
        raise NotFound("This invitation link is not valid or has expired.")
    user = invitation.user
    if user is None:
        user = user_create(email=invitation.email, roles=[invitation.role])
    else:
        user = User.objects.select_for_update().get(pk=user.pk)
        if User.objects.filter(email__iexact=invitation.email).exclude(pk=user.pk).exists():
            raise Conflict("Another account already signs in with this email address.")
        user.email = invitation.email
        if invitation.role == Role.PATIENT:
            roles_ensure()
            user.groups.add(Group.objects.get(name=Role.PATIENT))
        # A staff member's roles are what the Users page says now: an admin may have changed them since the link was
        # sent, and accepting must not give back a role taken away meanwhile.
    user.set_password(password)
    user.is_active = True
    user.save()
    invitation.accepted_at = clock.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user", "updated_at"])
    return user


def password_resettable(user: User | None) -> bool:
    """Whose password a "Forgot your password?" link may set: an active account that has one. A deactivated account
    stays closed, and someone invited who never accepted (inactive, with no password yet) sets their first password
    from their invitation."""
    return user is not None and user.is_active and user.has_usable_password()


@transaction.atomic
def password_reset_send(*, email: str, actor: User | None = None) -> int:
    """Have a password-reset link emailed to the account that signs in with `email`, if there is one that may be
    reset; nothing otherwise, and the caller answers the same either way. The request does the same work either way
    too, one lookup and one task handed to the worker after commit (with no account, a task with no one to write
    to), so how long it takes tells nothing either: the email itself is made and sent by the worker
    (password_reset_emails_send). An admin sending one for someone is logged."""
    users = [u for u in User.objects.filter(email__iexact=email.strip()) if password_resettable(u)]
    user_ids = [user.pk for user in users]
    # Only ids travel through the broker: the worker makes the link itself, so no working link sits in a queue.
    transaction.on_commit(functools.partial(tasks.password_reset_emails_send.delay, user_ids), robust=True)
    if actor is not None:
        for user in users:
            access_log_write(actor=actor, action="password_reset_link_send", subject=user)
    return len(users)


def password_reset_emails_send(*, user_ids: list[int]) -> int:
    """Record a reset email to each of these accounts that may still be reset (it may have been deactivated since it
    was asked for), and hand each to the worker (`account_email_send`, which makes the link as it sends it)."""
    users = [user for user in User.objects.filter(pk__in=user_ids) if password_resettable(user)]
    rows = AccountEmail.objects.bulk_create(
        AccountEmail(user=user, kind=AccountEmailKind.PASSWORD_RESET, to_address=user.email) for user in users
    )
    # The worker runs this outside any transaction: the records are saved, and each email is sent (and retried) on
    # its own, so one address refusing does not hold up or repeat another.
    for row in rows:
        tasks.account_email_send.delay(row.pk)
    return len(rows)


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> User:
    """Set the new password from a valid reset link. Changing the password ends every session the account has
    (Django's session auth hash), and nobody is signed in by it: they sign in again, staff with their second factor.
    The account holder is told by email once it is saved. Refused if the account was deactivated meanwhile."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not password_resettable(user):
        raise NotFound("This reset link is not valid or has expired.")
    user.set_password(password)
    user.save(update_fields=["password"])
    access_log_write(actor=user, action="password_reset", subject=user)
    # The notice has nothing to click, no link that could change anything: it says to contact the clinic if it was
    # not them.
    account_emails_queue(user=user, kind=AccountEmailKind.PASSWORD_CHANGED, addresses=[user.email])
    return user


@transaction.atomic
def password_changed_notice_queue(*, user_id: int) -> None:
    """Tell the account holder their password was changed, by its id (a notice asked for before the deploy that
    recorded account emails); nothing for an account deleted since."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        account_emails_queue(user=user, kind=AccountEmailKind.PASSWORD_CHANGED, addresses=[user.email])


@transaction.atomic
def sign_in_email_changed_notice_queue(*, user_id: int, old_email: str) -> None:
    """Tell someone at both addresses that their sign-in email was changed, by their id (as
    password_changed_notice_queue does)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        _sign_in_email_changed_tell(user=user, old_email=old_email)


def account_emails_queue(*, user: User, kind: str, addresses: list[str], old_address: str = "") -> list[AccountEmail]:
    """Record an email about `user`'s account to each of `addresses`, in the caller's transaction, and have the
    worker send each once it commits: a mail server that is down must not fail the change it tells of."""
    rows = AccountEmail.objects.bulk_create(
        AccountEmail(user=user, kind=kind, to_address=address, old_address=old_address)
        for address in dict.fromkeys(addresses)
    )
    for row in rows:
        transaction.on_commit(functools.partial(tasks.account_email_send.delay, row.pk), robust=True)
    return rows


def account_email_send(*, account_email_id: int) -> str:
    """Send one recorded account email at most once (`delivery.send_once`), its words and any link made now, never
    stored; returns "sent", "unconfirmed" or "nothing". Each try is counted on the record, with why it failed; a
    failure the worker retries is raised again. A reset link no longer wanted (the account deactivated, or signing
    in with another address since it was asked for), or a new sign-in email's link that would no longer work, is
    not sent, and its record goes."""

    def mark_sent() -> EmailMultiAlternatives | None:
        row = (
            AccountEmail.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=account_email_id, sent_at=None, failed_at=None)
            .first()
        )
        if row is None:
            return None
        email = _account_email_for(row)
        if email is None:
            row.delete()
            return None
        row.sent_at, row.unconfirmed, row.last_failure = clock.now(), False, ""
        row.attempts += 1
        row.save(update_fields=["sent_at", "unconfirmed", "last_failure", "attempts", "updated_at"])
        return email

    def not_taken(error: BaseException, counted: bool) -> None:
        AccountEmail.objects.filter(pk=account_email_id, failed_at=None).update(
            sent_at=None,
            unconfirmed=False,
            last_failure=email_failure_of(error),
            attempts=F("attempts") + (0 if counted else 1),
            updated_at=clock.now(),
        )

    def unconfirmed() -> None:
        AccountEmail.objects.filter(pk=account_email_id, sent_at__isnull=False).update(
            unconfirmed=True, updated_at=clock.now()
        )

    return send_once(mark_sent=mark_sent, not_taken=not_taken, unconfirmed=unconfirmed)


def account_email_failure_record(*, account_email_id: int, error: BaseException) -> None:
    """The worker gave up on an account email (its last retry failed, or the mail server refused it for good): the
    record says when and why, one of EmailFailure, never the error's text. One handed to the mail server stays
    sent."""
    AccountEmail.objects.filter(pk=account_email_id, sent_at=None, failed_at=None).update(
        failed_at=clock.now(), last_failure=email_failure_of(error), updated_at=clock.now()
    )


def _account_email_for(row: AccountEmail) -> EmailMultiAlternatives | None:
    user, clinic = row.user, ClinicSettings.load()
    if row.kind == AccountEmailKind.PASSWORD_RESET:
        if not password_resettable(user) or user.email != row.to_address:
            return None
        # The link works once (it is tied to the password it replaces) and expires after PASSWORD_RESET_TIMEOUT.
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = absolute_url(
            reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
        )
        context = {"link": link, "clinic": clinic, "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
        subject, template = f"Reset your password for {clinic.name}", "password_reset"
    elif row.kind == AccountEmailKind.PASSWORD_CHANGED:
        context = {"clinic": clinic}
        subject, template = f"Your {clinic.name} password was changed", "password_changed"
    elif row.kind == AccountEmailKind.SIGN_IN_EMAIL_CONFIRM:
        if not sign_in_email_change_open(row):
            return None  # asked again since, or confirmed already: the link would not work
        # A patient asks from the portal, and confirms there.
        link = absolute_url(reverse("portal:sign_in_email_confirm", args=[sign_in_email_links.confirm_token(row)]))
        context = {"link": link, "clinic": clinic, "valid_hours": settings.CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS}
        subject, template = f"Confirm your new sign-in email for {clinic.name}", "sign_in_email_confirm"
    else:
        context = {"clinic": clinic, "user": user, "old_email": row.old_address}
        subject, template = f"Your {clinic.name} sign-in email was changed", "sign_in_email_changed"
    body = render_to_string(f"accounts/email/{template}.txt", context)
    return _account_email(key=f"account-email-{row.pk}", to=row.to_address, subject=subject, body=body)


def _account_email(*, key: str, to: str, subject: str, body: str) -> EmailMultiAlternatives:
    """An email of accounts to one address, with the stable Message-ID `key` makes (`delivery` says why)."""
    return EmailMultiAlternatives(
        subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers={"Message-ID": message_id(key)}
    )


@transaction.atomic
def clinic_settings_update(*, actor: User, **changes) -> ClinicSettings:
    obj = ClinicSettings.objects.select_for_update().get_or_create(id=1)[0]
    before = {field: str(getattr(obj, field)) for field in changes}
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.full_clean()
    obj.save()
    access_log_write(
        actor=actor,
        action="clinic_settings_change",
        subject=obj,
        detail={"before": before, "after": {k: str(v) for k, v in changes.items()}},
    )
    return obj


@transaction.atomic
def api_token_create(*, actor: User, name: str, lifetime: dt.timedelta) -> tuple[ApiToken, str]:
    """Mint a token for the acting user (never anyone else) and return it with its plaintext, shown once.

    Callers make sure the actor is in a session that passed MFA; a token itself never mints another.
    """
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name.strip(),
        prefix=prefix,
        secret_hash=token_hash(secret),
        expires_at=clock.now() + lifetime,
    )
    access_log_write(actor=actor, action="api_token_create", subject=token, detail={"name": token.name})
    return token, f"{prefix}.{secret}"


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner may, and so may an admin; nobody else learns it exists."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not can_revoke_api_token(actor, token):
        raise NotFound("No such token.")
    if token.revoked_at is not None:
        raise InvalidTransition("This token is already revoked.")
    token.revoked_at = clock.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    access_log_write(
        actor=actor, action="api_token_revoke", subject=token, detail={"name": token.name, "owner": token.user_id}
    )
    return token


def therapist_supervision_check(
    *, therapist: User, is_prelicensed: bool, supervisor: User | None, discipline: str
) -> None:
    """Refuse a supervision the clinic cannot work with: a pre-licensed therapist needs a supervisor, and whoever
    supervises (co-signs the notes, reads the signed plans) is another active, licensed therapist of the same
    `discipline` (the one the therapist has, or is given in the same change), and not one the therapist supervises,
    directly or through a chain of supervisors. A therapist who supervises others, or whose co-signature notes
    await, stays licensed."""
    # A supervisor is licensed: every reason they cannot become pre-licensed at once. Notes awaiting their co-signature
    # already are a conflict with what happened, not a bad choice on the form.
    kept, awaiting = [], []
    if is_prelicensed:
        kept = _supervisees_kept(therapist, because=", and a supervisor is licensed")
        awaiting = _cosigns_awaiting(therapist)
    if kept or awaiting:
        notes = [
            *(["They supervise other therapists."] if kept else []),
            *(["Signed notes await their co-signature."] if awaiting else []),
        ]
        refused = Conflict if awaiting else Unprocessable
        raise refused(
            _first_these([*kept, *awaiting], doing="making them pre-licensed"), fields={"is_prelicensed": notes}
        )
    if is_prelicensed and supervisor is None:
        raise Unprocessable(
            "A pre-licensed therapist needs a supervisor: choose who supervises them.",
            fields={"supervisor": ["Choose who supervises them."]},
        )
    if supervisor is None:
        return
    wrong, instead, note = _supervisor_unfit(therapist=therapist, supervisor=supervisor, discipline=discipline)
    if wrong:
        raise Unprocessable(f"{wrong}{': ' + instead if instead else ''}.", fields={"supervisor": [note]})


def cosigner_check(*, author: User, cosigner: User) -> None:
    """Refuse `cosigner` for the notes `author` signed (on the form's `successor` field): whoever co-signs a note is
    someone who could supervise its author now, as they are (their discipline), by the one rule for a supervisor."""
    wrong, instead, note = _supervisor_unfit(
        therapist=author, supervisor=cosigner, discipline=discipline_of(author), discipline_kept=True
    )
    if wrong:
        raise Unprocessable(f"{wrong}{': ' + instead if instead else ''}.", fields={"successor": [note]})


def _supervisor_unfit(
    *, therapist: User, supervisor: User, discipline: str, discipline_kept: bool = False
) -> tuple[str, str, str]:
    """Why `supervisor` cannot supervise `therapist` in `discipline`, what to do instead, and the note for the form's
    supervisor field; ("", "", "") when they can. The one rule for a supervisor (selectors.supervisor_rule, which is
    also the list every supervisor field offers), whether being named (therapist_supervision_check) or named already
    and asked again as the therapist comes back (_supervision_to_come_back_to): this only says which of its
    predicates they fail, read under the staff-changes lock. Where the therapist's discipline cannot change to suit
    (`discipline_kept`: the notes they signed keep it), choosing another supervisor is the only remedy offered."""
    failing = supervisor_shortfalls(therapist=therapist, supervisor=supervisor, discipline=discipline)
    if not failing:
        return "", "", ""
    supervisor = User.objects.select_related("therapist_profile").get(pk=supervisor.pk)
    if personal := [reason for name, reason in _CANNOT_SUPERVISE_ANYONE.items() if name in failing]:
        # Their discipline and place in the supervision do not matter while they cannot supervise anyone.
        return (
            f"{_name(supervisor)} cannot supervise ({' and '.join(personal)})",
            "choose another active, licensed therapist",
            "Not a therapist who can supervise.",
        )
    if "discipline" in failing:
        theirs, wanted = Discipline(discipline_of(supervisor)).label.lower(), Discipline(discipline).label.lower()
        # The discipline asked is the therapist's as it stands or as this change makes it: made the supervisor's,
        # the supervision holds either way (a change kept back, or a discipline set wrongly corrected).
        instead = f"choose a supervisor who practices {wanted}"
        if not discipline_kept:
            instead += f", or make {_name(therapist)}'s discipline {theirs}, as {_name(supervisor)}'s is"
        return (
            f"{_name(supervisor)} is a {theirs} provider, and a supervisor is of the same discipline as the therapist "
            f"they supervise ({wanted})",
            instead,
            "Not of the same discipline.",
        )
    return (
        f"{_name(supervisor)} is supervised by {_name(therapist)}, directly or through their supervisors",
        "choose a supervisor from outside their supervision",
        "Supervised by this therapist.",
    )


# What each of selectors.supervisor_rule's predicates about the supervisor alone means when it fails.
_CANNOT_SUPERVISE_ANYONE = {
    "other": "they would supervise themselves",
    "active": "they are not active",
    "therapist": "they are not a therapist",
    "licensed": "they are pre-licensed",
}


def _supervising(therapist: User) -> str:
    """ "supervises 2 therapists (Ann Lee and Bo Ray)", those practising under `therapist`
    (selectors.supervisees_practising), or "" when nobody is."""
    names = [_name(supervisee) for supervisee in supervisees_practising(supervisor=therapist)]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"supervises {len(names)} therapist{'s' if len(names) != 1 else ''} ({listed})"


def _name(user: User) -> str:
    return user.full_name or user.email


def _discipline_change_refusals(*, therapist: User, discipline: str) -> list[ApplicationError]:
    """Every reason `therapist`'s discipline cannot become `discipline` now, each saying what to do about it: coming
    sessions it does not fit (move or cancel those first), notes already written that it would open to other readers
    or close to their author (the apps above say so: extensions.discipline_change_blockers), and supervisees who do
    not share it. Refused as one (therapist_profile_check), never one reason per attempt."""
    if not therapist.has_role(Role.THERAPIST):
        raise Unprocessable("Choose a therapist.", fields={"therapist": ["Not a therapist."]})
    if discipline not in Discipline.values:
        raise Unprocessable("Choose a discipline.", fields={"discipline": ["Unknown discipline."]})
    refusals: list[ApplicationError] = []
    if count := upcoming_sessions_outside(therapist=therapist, discipline=discipline):
        refusals.append(
            Conflict(
                f"{_name(therapist)} has {count} upcoming session(s) of another discipline than "
                f"{Discipline(discipline).label.lower()}; move or cancel them first.",
                fields={"discipline": ["Upcoming sessions of another discipline."]},
            )
        )
    refusals += [
        Conflict(refusal, fields={"discipline": ["Notes already written keep it."]})
        for blocker in extensions.discipline_change_blockers
        if (refusal := blocker(therapist=therapist, discipline=discipline))
    ]
    if supervising := _supervising(therapist):
        refusals.append(
            Conflict(
                f"{_name(therapist)} {supervising} of their discipline: name them another supervisor before changing "
                "it.",
                fields={"discipline": ["They supervise therapists of this discipline."]},
            )
        )
    return refusals


def therapist_profile_check(*, therapist: User, profile: TherapistProfile, changed: dict) -> None:
    """Refuse a change to `therapist`'s clinical profile (`changed`: each field that changes and its new value, from
    `profile` as it stands) with every reason at once, so an admin sees all they have to do, not one reason per
    attempt: the discipline's (_discipline_change_refusals), the supervision's, for the supervision it would leave
    (therapist_supervision_check), and the reduced-fee cap's (therapist_reduced_fee_cap_check). The one check of a
    profile change: the staff page's service asks it under its locks (therapist_profile_change), the Django admin's
    form before it saves through that service. 409 when any reason is a conflict with what is recorded (sessions,
    notes, supervisees), else 422."""
    refusals: list[ApplicationError] = []
    if "discipline" in changed:
        refusals += _discipline_change_refusals(therapist=therapist, discipline=changed["discipline"])
    if _SUPERVISION_FIELDS & set(changed):
        wanted = {name: changed.get(name, getattr(profile, name)) for name in _SUPERVISION_FIELDS}
        refusals += _refusals_of(lambda: therapist_supervision_check(therapist=therapist, **wanted))
    if "reduced_fee_cap" in changed:
        refusals += _refusals_of(
            lambda: therapist_reduced_fee_cap_check(therapist=therapist, cap=changed["reduced_fee_cap"])
        )
    if len(refusals) == 1:
        raise refusals[0]
    if refusals:
        fields: dict[str, list[str]] = {}
        for refusal in refusals:
            for name, notes in refusal.fields.items():
                kept = fields.setdefault(name, [])
                kept += [note for note in notes if note not in kept]
        refused = Conflict if any(refusal.status == Conflict.status for refusal in refusals) else Unprocessable
        things = _HOW_MANY.get(len(refusals), str(len(refusals)))
        raise refused(
            f"{things.capitalize()} things stand in the way of this change to {_name(therapist)}'s clinical profile. "
            + " ".join(refusal.message for refusal in refusals),
            fields=fields,
        )


def _refusals_of(check) -> list[ApplicationError]:
    try:
        check()
    except ApplicationError as exc:
        return [exc]
    return []


def therapist_reduced_fee_cap_hold(*, therapist: User) -> None:
    """Count a therapist's reduced-fee patients against their cap one transaction at a time: a booking giving them a
    new one (billing) and a change to the cap (therapist_profile_change) both take this transaction-scoped advisory
    lock, held until commit, so whichever counts second sees what the first wrote. The cap is read again under it
    (the profile in memory with it): a booking is held to a cap set or lowered meanwhile. A booking's database check
    share-locks the therapist's user row after this lock, so a cap change takes this one before that row too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"reduced-fee-cap:{therapist.pk}"])
    if (profile := getattr(therapist, "therapist_profile", None)) is not None:
        profile.refresh_from_db(fields=["reduced_fee_cap"])


def therapist_reduced_fee_cap_check(*, therapist: User, cap: int | None) -> None:
    """Refuse a cap the therapist breaks the moment it is set: below the reduced-fee patients they carry now, as
    billing counts them (extensions.reduced_fee_cap_blockers). No cap is always allowed. Final only under
    therapist_reduced_fee_cap_hold: a booking in flight is counted once it commits."""
    if cap is None:
        return
    if cap < 0:
        raise Unprocessable(
            "A cap is a number of patients: enter zero or more, or leave it empty for no cap.",
            fields={"reduced_fee_cap": ["Zero or more."]},
        )
    for blocker in extensions.reduced_fee_cap_blockers:
        if refusal := blocker(therapist=therapist, cap=cap):
            raise Conflict(refusal, fields={"reduced_fee_cap": ["Below the reduced-fee patients they carry now."]})


# What an admin edits of a therapist's profile on their staff page (the biography stays in the Django admin).
THERAPIST_PROFILE_FIELDS = (
    "discipline",
    "credentials",
    "license_type",
    "license_number",
    "npi",
    "is_prelicensed",
    "supervisor",
    "reduced_fee_cap",
    "accepts_patient_messages",
    "accepts_new_patients",
    "self_booking",
)
_SUPERVISION_FIELDS = {"discipline", "is_prelicensed", "supervisor"}


@transaction.atomic
def therapist_profile_change(*, actor: User, user: User, **fields) -> TherapistProfile:
    """Change any of a therapist's THERAPIST_PROFILE_FIELDS; the rest stay as they are. The profile keeps its rules,
    checked under the therapist's locks: an NPI is ten digits; a pre-licensed therapist has a supervisor, another
    active, licensed therapist of the same discipline (therapist_supervision_check); the discipline stays while
    sessions of it are booked ahead, notes were written under it or therapists of it are supervised
    (_discipline_change_refusals); a reduced-fee cap is not below the reduced-fee patients carried now
    (therapist_reduced_fee_cap_check). A change breaking several is refused with every reason at once
    (therapist_profile_check). Turning online booking or new patients off leaves booked sessions as they are. One
    access-log row says what each changed field was and became (the supervisor by id)."""
    unknown = set(fields) - set(THERAPIST_PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not a therapist profile field: {', '.join(sorted(unknown))}")
    if not user.has_role(Role.THERAPIST):
        raise Unprocessable("Only a therapist has a clinical profile.", fields={"therapist": ["Not a therapist."]})
    for name in {"credentials", "license_type", "license_number", "npi"} & set(fields):
        fields[name] = fields[name].strip()
    if fields.get("npi") and not re.fullmatch(NPI_PATTERN, fields["npi"]):
        raise Unprocessable("An NPI is ten digits.", fields={"npi": ["Ten digits, or empty."]})
    if _SUPERVISION_FIELDS & set(fields):
        # Who supervises whom is access: a supervisor made pre-licensed meanwhile is counted after this, or sees it.
        staff_changes_one_at_a_time()
    if "reduced_fee_cap" in fields:
        therapist_reduced_fee_cap_hold(therapist=user)
    # The user row first (a booking's database check reads it under a share lock before the profile, which may not
    # exist yet), so a session booked meanwhile is counted by the discipline check or refused there; then the profile.
    User.objects.select_for_update().values_list("pk", flat=True).get(pk=user.pk)
    profile = TherapistProfile.objects.select_for_update().get_or_create(user=user)[0]
    changed = {name: value for name, value in fields.items() if getattr(profile, name) != value}
    if not changed:
        return profile
    therapist_profile_check(therapist=user, profile=profile, changed=changed)
    before = {name: _logged(getattr(profile, name)) for name in changed}
    for name, value in changed.items():
        setattr(profile, name, value)
    profile.save(update_fields=[*changed, "updated_at"])
    access_log_write(
        actor=actor,
        action="therapist_profile_change",
        subject=profile,
        detail={"therapist": user.pk, "before": before, "after": {name: _logged(v) for name, v in changed.items()}},
    )
    return profile


def _logged(value):
    return value.pk if isinstance(value, User) else value
