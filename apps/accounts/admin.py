from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import access_log_write
from apps.core.admin import ReadOnlyAdmin
from apps.core.errors import ApplicationError
from apps.core.models import ClinicSettings

from . import services
from .models import AccountEmail, ApiToken, Invitation, TherapistProfile, User
from .roles import STAFF_ROLES, Role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    # No password here: an admin who could set one could sign in as anyone. Someone locked out is sent a reset link
    # (the action below), which only they can use; accounts are made by invitation, never here with a password.
    fieldsets = [
        (None, {"fields": ["email"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    # Roles and deactivation change on the clinic's Users page, through the services that keep an active admin,
    # keep a therapist with booked sessions, and end a leaver's tokens and invitations: not around them here. The
    # superuser flag grants every permission but the clinical ones: it is given from the command line, never here.
    # Nor anyone's sign-in email: the reset link below goes to it, so an admin who could point it at an address of
    # their own could set the password and sign in as that person. A staff member's is corrected on their staff page,
    # which tells the old and the new address.
    readonly_fields = ["email", "is_active", "is_staff", "is_superuser", "groups"]
    actions = ["send_password_reset"]

    def get_urls(self):
        # The base admin's "change password" page is left out: passwords are set only by their owner.
        return [url for url in super().get_urls() if url.name != "accounts_user_password_change"]

    def user_change_password(self, request, id, form_url=""):
        raise Http404

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Email the selected people a password reset link", permissions=["view"])
    def send_password_reset(self, request, queryset):
        sent = sum(services.password_reset_send(email=user.email, actor=request.user) for user in queryset)
        self.message_user(
            request,
            f"{sent} reset link(s) sent. Deactivated accounts and invitations not yet accepted get none.",
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Someone who leaves is deactivated, never deleted: their revoked tokens, their messages and a patient's link
        # to their chart stay as the record.
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Where a staff member is deactivated, and while it would be refused, every reason why: the same refusal the
        # staff page shows, so nobody learns one reason here and another there.
        user = self.get_object(request, object_id)
        if user is not None and user.roles & STAFF_ROLES and (user.is_active or user.invitation_pending):
            extra_context = {
                **(extra_context or {}),
                "staff_page": reverse("accounts:staff_detail", args=[user.pk]),
                "deactivation_refusal": services.staff_deactivation_refusal(actor=request.user, user=user),
            }
        return super().change_view(request, object_id, form_url, extra_context)


# Roles are these groups, by name. Renaming or deleting one would take the role from everyone who has it (the last
# admin, a therapist with sessions booked) with no audit row, and a group's permissions would grant what the rules
# do not: roles change for a person on the clinic's Users page only, and the groups themselves never change here.
admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ["name"]
    fields = ["name"]
    readonly_fields = fields


class RefusalsOnTheFormAdmin(admin.ModelAdmin):
    """A change the services refuse at save (checked again under their locks, after the form's own check passed) is
    told on the page, and the admin's transaction is rolled back: nothing of it is saved, and never a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, f"Not saved: {exc.message}", messages.ERROR)
        except ValidationError as exc:
            self.message_user(request, f"Not saved: {' '.join(exc.messages)}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class TherapistProfileForm(forms.ModelForm):
    """Checks the profile with the staff page's own check (services.therapist_profile_check), so a refused change
    says every reason at once, on the first field it names, in the words the staff page uses."""

    class Meta:
        model = TherapistProfile
        fields = "__all__"  # noqa: DJ007 (the admin edits every profile field)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # A profile being added is checked as a change from a new profile's defaults, for the therapist chosen.
        therapist = self.instance.user if self.instance.pk else cleaned["user"]
        changed = {name: cleaned.get(name) for name in self.changed_data if name in services.THERAPIST_PROFILE_FIELDS}
        try:
            services.therapist_profile_check(therapist=therapist, profile=self.instance, changed=changed)
        except ApplicationError as exc:
            field = next((name for name in exc.fields if name in self.fields), None)
            self.add_error(field, exc.message)
        return cleaned


@admin.register(TherapistProfile)
class TherapistProfileAdmin(RefusalsOnTheFormAdmin):
    form = TherapistProfileForm
    list_display = [
        "user",
        "discipline",
        "credentials",
        "npi",
        "is_prelicensed",
        "supervisor",
        "accepts_new_patients",
        "self_booking",
        "accepts_patient_messages",
    ]
    list_filter = ["discipline"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a profile would undo its rules unchecked: a pre-licensed therapist's notes would need no
        # co-signature, and a supervisor's discipline would fall back to psychotherapy under their supervisees.
        # Someone who leaves is deactivated on Users; their profile stays as the record.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Whose profile it is stays: moved to someone else, its supervision would be theirs, never checked.
        return ["user"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # asked only when adding: therapists who have no profile yet
            kwargs["queryset"] = User.objects.filter(
                groups__name=Role.THERAPIST, therapist_profile__isnull=True
            ).order_by("last_name", "first_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The clinical profile (discipline, licence, supervision, cap, messages, online booking) through the staff
        # page's service: checked together under its locks, and one access-log row for the save saying what each
        # field was and became. What is not clinical (the bio) is saved as it is. The service reads the profile again
        # under its lock, so only the fields changed on the form are passed; a profile added here is made by it, as
        # the staff page's first save of a therapist's profile makes theirs.
        clinical = {
            field: form.cleaned_data[field] for field in form.changed_data if field in services.THERAPIST_PROFILE_FIELDS
        }
        if clinical or not change:
            profile = services.therapist_profile_change(actor=request.user, user=obj.user, **clinical)
            obj.pk, obj._state.adding = profile.pk, False
        others = [field for field in form.changed_data if field not in {*services.THERAPIST_PROFILE_FIELDS, "user"}]
        if others:
            obj.save(update_fields=[*others, "updated_at"])


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(RefusalsOnTheFormAdmin):
    """The one settings row, saved through the same service as the Clinic settings page, so each change (releasing
    session notes in the patients' downloads, say) is in the access log; never added or deleted here. The form holds
    each setting to the model's own validators and bounds (`SETTING_BOUNDS`), as the service's `full_clean` does."""

    list_display = ["name", "cancellation_window_hours"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        services.clinic_settings_update(actor=request.user, **changes)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Listed, never changed: a link gives its role and its address to whoever accepts it, and only the newest,
    unexpired, unused one works. Invitations are sent and revoked on the Users page and the patient's chart."""

    list_display = [
        "email",
        "role",
        "created_at",
        "emailed_at",
        "email_unconfirmed",
        "email_failed_at",
        "email_failure",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    exclude = ["token_hash"]


@admin.register(AccountEmail)
class AccountEmailAdmin(ReadOnlyAdmin):
    """Listed, never changed: what became of each email about an account (no words and no link are kept)."""

    list_display = [
        "kind",
        "to_address",
        "created_at",
        "attempts",
        "sent_at",
        "unconfirmed",
        "failed_at",
        "last_failure",
    ]
    list_filter = ["kind", "last_failure"]
    search_fields = ["to_address", "user__email"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be seen and revoked here, never created or edited: only their own user mints one."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__email", "prefix"]
    exclude = ["secret_hash"]
    readonly_fields = ["user", "name", "prefix", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked tokens stay as the record of who had access

    def has_revoke_permission(self, request) -> bool:
        """Revoking stops whatever uses the token, a change: it takes the change permission on tokens (a superuser
        has it), not only the view permission that lists them. The form itself still changes nothing."""
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('change', self.opts)}")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                services.api_token_revoke(actor=request.user, token=token)
            except ApplicationError as exc:
                self.message_user(request, f"{token}: {exc.message}", messages.ERROR)
            else:
                revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


# django-otp's own admin pages show a device's secret (its key, its QR code) and let a superuser make, re-key or
# confirm a device for anyone: with those, whoever runs the admin passes someone else's second factor. Sign-in takes
# TOTP devices only, and static (backup) codes are not used at all.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Authenticator apps, listed by whose and when: never their secret. Only removing one is allowed (a lost phone),
    which sends its owner back to enrolment with their own password; each removal is in the access log."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @transaction.atomic
    def delete_model(self, request, obj):
        access_log_write(actor=request.user, action="mfa_device_remove", subject=obj.user, detail={"device": obj.pk})
        super().delete_model(request, obj)
        self._owners_signed_out(request, [obj.user])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        devices = list(queryset.select_related("user"))
        for device in devices:
            access_log_write(
                actor=request.user, action="mfa_device_remove", subject=device.user, detail={"device": device.pk}
            )
        super().delete_queryset(request, queryset)
        self._owners_signed_out(request, [device.user for device in devices])

    @staticmethod
    def _owners_signed_out(request, owners: list[User]) -> None:
        """Every session of the owners ends: a session left without its device would otherwise still be signed in
        with the password, and set-up would enrol a new device in it without the password being typed again (the
        lost phone's own session, say). Someone removing their own device keeps this session, to set up anew."""
        for owner in {owner.pk: owner for owner in owners}.values():
            services.sessions_end_others(
                actor=request.user,
                user=owner,
                because="authenticator_removed",
                keep=request if owner.pk == request.user.pk else None,
            )
