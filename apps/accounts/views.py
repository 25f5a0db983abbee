import base64
import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core import clock
from apps.core.errors import ApplicationError
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.layouts import layout_for
from apps.core.links import next_or, next_path
from apps.core.models import ClinicSettings
from apps.core.views import action_from_url, call_with_messages, form_refusal, form_status, posted

from . import extensions, mfa, selectors, services
from .forms import (
    ApiTokenForm,
    ClinicalProfileForm,
    ClinicSettingsForm,
    SetPasswordForm,
    StaffDetailsForm,
    StaffInvitationForm,
    StaffRolesForm,
    TokenForm,
)
from .models import ApiToken, User
from .navigation import page_described
from .roles import Role
from .throttles import password_reset_throttled


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    if request.user.is_verified():
        return redirect(next_or(request, "home"))
    if mfa.has_confirmed_device(request.user):
        # Enrolling another device would pass the challenge with the password alone: the code comes first.
        return redirect(mfa.verify_url(next_path(request)))
    device = mfa.pending_device(request.user, fresh=request.method == "GET")
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        check = mfa.confirm_device(request, device, form.cleaned_data["token"])
        if check:
            messages.success(request, "Two-factor authentication is on.")
            return redirect(next_or(request, "home"))
        form.add_error("token", check.refusal)
    context = {
        "form": form,
        "qr_svg": mfa.qr_svg(device),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": next_path(request),
    }
    return render(request, "accounts/mfa_setup.html", context, status=FORM_REFUSED_STATUS if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    if request.user.is_verified():
        return redirect(next_or(request, "home"))
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        check = mfa.verify(request, form.cleaned_data["token"])
        if check:
            return redirect(next_or(request, "home"))
        form.add_error("token", check.refusal)
    context = {"form": form, "next": next_path(request)}
    return render(request, "accounts/mfa_verify.html", context, status=FORM_REFUSED_STATUS if form.errors else 200)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        invitation = services.invitation_for_token(token)
    except ApplicationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=404)
    form = SetPasswordForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except ApplicationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=exc.status)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome. Your password is set.")
        return redirect("home")
    context = {"form": form, "invitation": invitation}
    return render(request, "accounts/invitation_accept.html", context, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def user_list(request):
    if not request.user.has_perm("accounts.manage_users"):
        raise PermissionDenied
    form = StaffInvitationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.staff_invite(actor=request.user, **form.cleaned_data)
        email = form.cleaned_data["email"]
        messages.success(request, f"The invitation to {email} is being sent: the list shows when it has gone out.")
        return redirect("accounts:user_list")
    context = {"users": selectors.staff_members(), "form": form}
    return render(request, "accounts/user_list.html", context, status=form_status(form))


def _staff_member(request, pk) -> User:
    if not request.user.has_perm("accounts.manage_users"):
        raise PermissionDenied
    user = selectors.staff_member(user_id=pk)
    if user is None:
        raise Http404
    return user


@login_required
@require_http_methods(["GET", "POST"])
def staff_detail(request, pk):
    """One staff member: their roles to change, and deactivating or reactivating them."""
    user = _staff_member(request, pk)
    form = _roles_form(user, posted(request))  # ticking no role at all still posts the form
    if form.is_bound and form.is_valid():
        try:
            services.staff_roles_change(
                actor=request.user, user=user, roles=form.cleaned_data["roles"], profile=form.profile_changes()
            )
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, f"{user.full_name}'s roles are saved.")
            return redirect("accounts:staff_detail", pk=user.pk)
    return _staff_page(request, user, form=form, status=form_status(form))


def _roles_form(user: User, data=None) -> StaffRolesForm:
    return StaffRolesForm(data, initial={"roles": sorted(user.roles - {Role.PATIENT})}, member=user)


@login_required
@require_POST
def staff_details(request, pk):
    """Correct a staff member's name or sign-in email."""
    user = _staff_member(request, pk)
    return _staff_section_save(
        request,
        user,
        details=StaffDetailsForm(request.POST),
        call=lambda data: services.staff_details_change(
            actor=request.user, user=user, keep=request if user.pk == request.user.pk else None, **data
        ),
        saved=lambda data: f"{data['first_name']} {data['last_name']}'s details are saved.",
    )


@login_required
@require_POST
def staff_clinical_profile(request, pk):
    """Change a therapist's clinical profile."""
    user = _staff_member(request, pk)
    return _staff_section_save(
        request,
        user,
        profile=ClinicalProfileForm(request.POST, member=user),
        call=lambda data: services.therapist_profile_change(actor=request.user, user=user, **data),
        saved=lambda data: f"{user.full_name}'s clinical profile is saved.",
    )


def _staff_section_save(request, user: User, *, call, saved, **section):
    """Save one section of the staff page (`section`: the page's name for its posted form): a form that does not
    parse, or a refusal, shows the page again with it on the field (422, or 409 for a conflict: `form_status`)."""
    [form] = section.values()
    if not form.is_valid():
        return _staff_page(request, user, status=form_status(form), **section)
    try:
        call(form.cleaned_data)
    except ApplicationError as exc:
        form_refusal(form, exc)
        return _staff_page(request, user, status=form_status(form), **section)
    messages.success(request, saved(form.cleaned_data))
    return redirect("accounts:staff_detail", pk=user.pk)


def _staff_page(
    request, user: User, *, form=None, details=None, profile=None, access_refusal: str = "", status: int = 200
):
    is_therapist = Role.THERAPIST in user.roles
    if is_therapist and profile is None:
        profile = ClinicalProfileForm(member=user, initial=ClinicalProfileForm.initial_for(user))
    context = {
        "member": user,
        "form": form or _roles_form(user),
        "details": details
        or StaffDetailsForm(initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email}),
        "profile": profile if is_therapist else None,
        "sessions_ahead": selectors.booked_sessions_ahead(therapist=user) if is_therapist else 0,
        "invitation_live": user.invitation_pending and selectors.invitation_live(user=user),
        "account_emails": selectors.account_emails_recent(user=user),
        "sections": [
            html for section in extensions.staff_page_sections if (html := section(request=request, member=user))
        ],
        "deactivation_refusal": services.staff_deactivation_refusal(actor=request.user, user=user)
        if user.is_active or user.invitation_pending
        else "",
        "access_refusal": access_refusal,
        "reactivation_refusal": ""
        if user.is_active or user.invitation_pending
        else services.staff_reactivation_refusal(user=user),
    }
    return render(request, "accounts/staff_detail.html", context, status=status)


# A staff member's access: the service each action calls and what the page says once it went through.
STAFF_ACCESS_ACTIONS = {
    "deactivate": (services.staff_deactivate, "{name} is deactivated: they can no longer sign in."),
    "reactivate": (services.staff_reactivate, "{name} can sign in again."),
    "invite-again": (
        services.staff_reinvite,
        "A new invitation to {email} is being sent; the earlier link no longer works.",
    ),
    "sign-out-everywhere": (
        functools.partial(services.sessions_end_others, because="ended_by_admin"),
        "{name} is signed out everywhere: every browser they were signed in on asks them to sign in again.",
    ),
}


@login_required
@require_POST
def staff_access(request, pk, action):
    """Deactivate, reactivate, invite again or sign out everywhere. Deactivating and signing out everywhere ask
    first (a page saying what it does); only the confirmation's post acts. A deactivation the service would refuse is
    never asked about: the page says why instead (409), as the staff page does in place of its button. A
    confirmation refused all the same (something changed since it was asked: a session booked, a supervisee named)
    answers that page too, with every reason. A reactivation or a new invitation refused answers the staff page it
    was asked from, the reason at its top."""
    call, done = action_from_url(STAFF_ACCESS_ACTIONS, action)
    user = _staff_member(request, pk)
    if action == "sign-out-everywhere" and request.POST.get("confirmed") != "yes":
        return render(request, "accounts/staff_sign_out_confirm.html", {"member": user})
    if action == "deactivate" and request.POST.get("confirmed") != "yes":
        refusal = services.staff_deactivation_refusal(actor=request.user, user=user)
        return _deactivation_page(request, user, refusal=refusal, status=409 if refusal else 200)
    if action == "deactivate":
        withdrawing = user.invitation_pending
        try:
            call(actor=request.user, user=user)
        except ApplicationError as exc:
            return _deactivation_page(request, user, refusal=exc.message, status=exc.status)
        if withdrawing:
            done = "{name}'s invitation is withdrawn: the link they were sent no longer works."
        messages.success(request, done.format(name=user.full_name, email=user.email))
        return redirect("accounts:staff_detail", pk=user.pk)
    try:
        call(actor=request.user, user=user)
    except ApplicationError as exc:
        return _staff_page(request, user, access_refusal=exc.message, status=exc.status)
    messages.success(request, done.format(name=user.full_name, email=user.email))
    return redirect("accounts:staff_detail", pk=user.pk)


def _deactivation_page(request, user: User, *, refusal: str, status: int):
    """What deactivating `user` does, to confirm, or, when it is refused, every reason why (`refusal`)."""
    context = {"member": user, "refusal": refusal}
    return render(request, "accounts/staff_deactivate_confirm.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request):
    if not request.user.has_perm("accounts.change_clinic_settings"):
        raise PermissionDenied
    current = ClinicSettings.load()
    form = ClinicSettingsForm(posted(request), instance=current)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        clinic = services.clinic_settings_update(actor=request.user, **changes)
        messages.success(request, "Clinic settings saved.")
        if clinic.quiet_hours_off:
            messages.warning(request, "Texts now go out at any hour: quiet hours start and end at the same time.")
        return redirect("accounts:clinic_settings")
    return render(request, "accounts/clinic_settings.html", {"form": form}, status=form_status(form))


def _require_verified_staff(request) -> None:
    """Tokens are for people who sign in with a second factor, and only once they have passed it.

    The MFA middleware already holds everyone else back; this keeps the rule next to the code that mints.
    """
    if not request.user.requires_mfa or not request.user.is_verified():
        raise PermissionDenied


@login_required
@require_safe
def own_sign_in(request):
    """A member of staff's own sign-in: the address and authenticator they sign in with, and signing out of every
    other browser they are signed in on."""
    _require_verified_staff(request)
    context = {"device": request.user.otp_device}
    return render(request, "accounts/own_sign_in.html", context)


@login_required
@require_POST
def own_sessions_end(request):
    _require_verified_staff(request)
    services.sessions_end_others(actor=request.user, user=request.user, because="asked", keep=request)
    messages.success(request, "You are signed out on every other browser and device. You are still signed in here.")
    return redirect("accounts:own_sign_in")


@never_cache  # the page that shows a new token's secret must not be kept by the browser or a proxy
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's own API tokens: create one (its secret shown once, on this answer only), list and revoke.

    Admins also see everyone else's live tokens, to revoke; nobody can create a token for anyone but themselves.
    """
    _require_verified_staff(request)
    form = ApiTokenForm(posted(request))
    created = None
    if request.method == "POST" and form.is_valid():
        token, plaintext = services.api_token_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            lifetime=dt.timedelta(days=form.cleaned_data["lifetime_days"]),
        )
        created = {"token": token, "plaintext": plaintext}
        form = ApiTokenForm()
    others = None
    if request.user.has_perm("accounts.manage_users"):
        others = selectors.api_tokens_live_of_others(user=request.user)
    context = {
        "form": form,
        "created": created,
        "tokens": selectors.api_tokens_of(user=request.user),
        "others": others,
        "now": clock.now(),
    }
    return render(request, "accounts/api_tokens.html", context, status=form_status(form))


@login_required
@require_POST
def api_token_revoke(request, pk):
    _require_verified_staff(request)
    token = get_object_or_404(ApiToken, pk=pk)
    if not request.user.has_perm("accounts.revoke_api_token", token):
        raise Http404("No such token.")  # someone else's token: not even whether it exists
    call_with_messages(
        request, lambda: services.api_token_revoke(actor=request.user, token=token), f"Token “{token.name}” revoked."
    )
    return redirect("accounts:api_tokens")


def permission_denied(request, exception):
    """The site's 403: what the refused page is for, who uses it, the reader's own role, and the way home.

    It never repeats the refusal's detail or names the record asked for: a refusal must not tell anyone what they
    may not see. Under /api/ it is the API's error body.
    """
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": "permission_denied", "message": "Not allowed."}}, status=403)
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None) or AnonymousUser()
    context = {
        "page": page_described(match.view_name if match else None),
        "your_roles": [label for value, label in Role.choices if user.is_authenticated and user.has_role(value)],
        "layout": layout_for(user),
    }
    return render(request, "403.html", context, status=403)


# ---------------------------------------------------------------------------------------------------------------
# Forgot your password? Django's reset views and token generator; the clinic's own pieces are the limits, the email
# (only the link, on the clinic's public address), refusing a deactivated or never-accepted account, and the log.


class _PasswordResetRequestForm(auth_forms.PasswordResetForm):
    def save(self, **kwargs) -> None:
        services.password_reset_send(email=self.cleaned_data["email"])


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address has an account."""

    form_class = _PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if password_reset_throttled(self.request, email=form.cleaned_data["email"]):
            return render(self.request, "accounts/password_reset_throttled.html", status=429)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose the new password. Nobody is signed in by it (post_reset_login stays off): the person signs in again,
    staff with their second factor."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if services.password_resettable(user) else None

    def form_valid(self, form):
        try:
            services.password_reset_complete(user=form.user, password=form.cleaned_data["new_password1"])
        except ApplicationError:
            self.validlink = False
            return self.render_to_response(self.get_context_data(form=None))
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.success_url)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
