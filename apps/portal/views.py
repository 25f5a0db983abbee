"""Patient-facing pages of the portal itself: the home page, settings, two-step sign-in and the sign-in email.
Each area's own pages (sessions, billing, programs, questionnaires) live in that app's portal_views."""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa
from apps.accounts.forms import TokenForm
from apps.accounts.lockout import password_retyped
from apps.accounts.selectors import sign_in_email_change_waiting
from apps.accounts.services import sessions_end_others, sign_in_email_change_ask, sign_in_email_change_for_token
from apps.core.errors import ApplicationError
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.models import ClinicSettings
from apps.core.views import form_refusal, form_status, posted
from apps.patients.portal import portal_patient

from . import selectors, services
from .forms import ContactDetailsForm, ReminderPreferencesForm, SignInEmailConfirmForm, SignInEmailForm
from .middleware import SESSION_KEY


@login_required
@require_safe
def dashboard(request):
    patient = portal_patient(request, "portal.use_portal")
    context = {
        "patient": patient,
        "offers": selectors.open_offers(patient=patient),
        "figures": selectors.home_figures(patient=patient),
    }
    return render(request, "portal/dashboard.html", context)


@login_required
@require_safe
def contact(request):
    portal_patient(request, "portal.use_portal")
    return render(request, "portal/contact.html", {"clinic": ClinicSettings.load()})


def _reminder_form(patient, data=None):
    initial = {
        "email": patient.reminder_email,
        "sms": patient.reminder_sms,
        "sms_consent": patient.sms_consent_at is not None,
    }
    # Its own ids: the contact details form on the same page has an "email" field too.
    return ReminderPreferencesForm(data, initial=initial, auto_id="reminders_%s")


def _settings_page(
    request,
    patient,
    *,
    contact_form=None,
    reminder_form=None,
    two_step_form=None,
    sign_in_email_form=None,
    status=200,
):
    sent_back = (contact_form, reminder_form, two_step_form, sign_in_email_form)
    context = {
        "patient": patient,
        "contact_form": contact_form or ContactDetailsForm(instance=patient),
        "reminder_form": reminder_form or _reminder_form(patient),
        "two_step_on": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        "two_step_form": two_step_form or TokenForm(auto_id="off_%s"),
        "sign_in_email_form": sign_in_email_form or SignInEmailForm(auto_id="sign_in_%s"),
        "sign_in_email_waiting": sign_in_email_change_waiting(user=request.user),
        # The form sent back, whose refusal the page's summary at its top says.
        "refused_form": next((form for form in sent_back if form), None),
    }
    return render(request, "portal/settings.html", context, status=status)


@login_required
@require_safe
def settings_page(request):
    return _settings_page(request, portal_patient(request, "portal.use_portal"))


@login_required
@require_POST
def contact_details(request):
    patient = portal_patient(request, "portal.use_portal")
    form = ContactDetailsForm(request.POST, instance=patient)
    if form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        had_texts = patient.sms_consent_at is not None
        try:
            updated = services.contact_details_update(actor=request.user, patient=patient, **changes)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            saved = "Your contact details are saved."
            if had_texts and updated.phone and updated.sms_consent_at is None:
                saved += " Texts are off for your new number until you agree to them under Reminders."
            messages.success(request, saved)
            return redirect("portal:settings")
    patient.refresh_from_db()
    return _settings_page(request, patient, contact_form=form, status=FORM_REFUSED_STATUS)


@login_required
@require_POST
def reminder_preferences(request):
    patient = portal_patient(request, "portal.use_portal")
    form = _reminder_form(patient, request.POST)
    if form.is_valid():
        try:
            services.reminder_preferences_update(
                actor=request.user,
                patient=patient,
                email=form.cleaned_data["email"],
                sms=form.cleaned_data["sms"],
                sms_consent=form.cleaned_data["sms_consent"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your reminder choices are saved.")
            return redirect("portal:settings")
    return _settings_page(request, patient, reminder_form=form, status=FORM_REFUSED_STATUS)


@login_required
@require_POST
def stop_text_messages(request):
    patient = portal_patient(request, "portal.use_portal")
    services.text_messages_stop(actor=request.user, patient=patient)
    messages.success(request, "We will not send you any more text messages.")
    return redirect("portal:settings")


@login_required
@require_POST
def sign_out_others(request):
    portal_patient(request, "portal.use_portal")
    sessions_end_others(actor=request.user, user=request.user, because="asked", keep=request)
    messages.success(request, "You are signed out on every other browser and device. You are still signed in here.")
    return redirect("portal:settings")


@login_required
@require_http_methods(["GET", "POST"])
def two_step(request):
    """Optional for patients: scan a code, confirm it, and sign-in asks for it from then on."""
    portal_patient(request, "portal.use_portal")
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return render(request, "portal/two_step.html", {"is_on": True})
    device = mfa.pending_device(request.user, fresh=request.method == "GET")
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        check = mfa.confirm_device(request, device, form.cleaned_data["token"])
        if check:
            services.two_step_turned_on(user=request.user, keep=request)
            request.session[SESSION_KEY] = True
            messages.success(
                request,
                "Two-step sign-in is on. We will ask for a code from your app when you sign in. Every other browser "
                "and device you were signed in on is signed out.",
            )
            return redirect("portal:dashboard")
        form.add_error("token", check.refusal)
    context = {
        "is_on": False,
        "form": form,
        "qr_svg": mfa.qr_svg(device),
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "portal/two_step.html", context, status=form_status(form))


@login_required
@require_POST
def two_step_off(request):
    patient = portal_patient(request, "portal.use_portal")
    # A fresh code, so an unattended open session cannot switch the protection off.
    form = TokenForm(request.POST, auto_id="off_%s")
    check = mfa.verify(request, form.cleaned_data["token"]) if form.is_valid() else None
    if not check:
        if check is not None:
            form.add_error("token", check.refusal)
        form.add_error(None, "Two-step sign-in is still on.")
        return _settings_page(request, patient, two_step_form=form, status=FORM_REFUSED_STATUS)
    services.two_step_turn_off(user=request.user)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, "Two-step sign-in is off. You sign in with your password only.")
    return redirect("portal:settings")


@login_required
@require_POST
def two_step_not_now(request):
    portal_patient(request, "portal.use_portal")
    services.two_step_offer_answer(user=request.user)
    messages.info(request, "No problem. You can turn on two-step sign-in any time under Settings.")
    return redirect("portal:dashboard")


@login_required
@require_POST
def sign_in_email(request):
    """Ask to sign in with another address: the password again, then a link to the new address, which changes it."""
    patient = portal_patient(request, "portal.use_portal")
    form = SignInEmailForm(request.POST, auto_id="sign_in_%s")
    # The password comes first, so the form tells nobody without it whether an address has an account.
    if form.is_valid() and not password_retyped(request, form.cleaned_data["password"]):
        form.add_error("password", "That is not your password. The email you sign in with is unchanged.")
    if form.is_valid():
        try:
            asked = sign_in_email_change_ask(user=request.user, email=form.cleaned_data["email"])
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(
                request,
                f"We emailed a link to {asked.to_address}. Open it to sign in with that address from then on; until "
                f"then you sign in with {asked.old_address}.",
            )
            return redirect("portal:settings")
    return _settings_page(request, patient, sign_in_email_form=form, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def sign_in_email_confirm(request, token):
    """The link emailed to the new address. Opened signed out, it asks to sign in first (as the account that asked
    for it); the change is made by pressing its button, never by opening the link, which a mail scanner may do."""
    patient = portal_patient(request, "portal.use_portal")
    try:
        change = sign_in_email_change_for_token(user=request.user, token=token)
        form = SignInEmailConfirmForm(posted(request))
        if request.method == "POST" and form.is_valid():
            user = services.sign_in_email_confirm(
                actor=request.user,
                patient=patient,
                token=token,
                for_reminders=form.cleaned_data["for_reminders"],
                keep=request,
            )
            messages.success(
                request,
                f"You now sign in with {user.email}. Every other browser and device you were signed in on is signed "
                "out.",
            )
            return redirect("portal:settings")
    except ApplicationError as exc:
        return render(request, "portal/sign_in_email_link.html", {"message": exc.message}, status=exc.status)
    return render(request, "portal/sign_in_email_confirm.html", {"change": change, "form": form})
