"""The patient's own billing pages in the portal: balance, charges, paying by card, receipts, statements,
superbills and the sliding-scale application."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from apps.core import clock
from apps.core.errors import ApplicationError, Unprocessable
from apps.core.forms import FORM_REFUSED_STATUS, form_errors_text
from apps.core.models import ClinicSettings
from apps.core.views import form_refusal, form_refused_focus, form_status, posted, refusal_said
from apps.patients.portal import portal_patient

from . import documents, pending_fee, pricing
from .forms import AssessmentForm, InstalmentPayForm, PayForm, SuperbillPeriodForm
from .models import CheckoutSession, CheckoutStatus, Payment
from .payments import SandboxBackend, online_card_payments
from .selectors import superbill as superbill_selectors
from .selectors.assessments import latest_assessment
from .selectors.estimates import estimate_context, estimates_of, estimates_visible_to
from .selectors.ledger import account_lines, patient_balance, statement_body, statements_of
from .selectors.packages import packages_held, packages_of
from .selectors.plans import active_plan, plan_next_instalment, plan_progress
from .services.assessments import assessment_submit
from .services.checkout import checkout_start, provider_event_apply

# The billing page lists the latest lines of the account; the statements list every month's.
LATEST_LINES_SHOWN = 50

# What the portal's and the account page's superbill say at their top when its period is no period.
SUPERBILL_PERIOD_REFUSED = "No superbill was made: choose a valid period."


def _own(queryset, patient, pk):
    row = queryset.filter(patient=patient, pk=pk).first()
    if row is None:
        raise Http404
    return row


@login_required
@require_safe
def billing_home(request):
    return _home_page(request, portal_patient(request, "billing.view_ledger"))


def _home_page(
    request, patient, *, refused: PayForm | None = None, period_refused: SuperbillPeriodForm | None = None, status=200
):
    """The billing page; with `refused`, a pay form that could not go through shown again as it was sent, its
    reasons on it. A refused form the page does not offer (nothing owed now, cards not taken) says why above. With
    `period_refused`, the superbill's period as it was typed, its error by its field, and a summary at the top."""
    lines = account_lines(patient=patient)
    plan = active_plan(patient=patient)
    balance = patient_balance(patient=patient)
    card = pricing.patient_fee_card(patient=patient)
    next_instalment = plan_next_instalment(plan=plan, balance=balance) if plan else None
    assessment = latest_assessment(patient=patient)
    context = {
        "patient": patient,
        "balance": balance,
        "lines": lines[:LATEST_LINES_SHOWN],
        "lines_left_off": len(lines) > LATEST_LINES_SHOWN,
        "latest_lines_shown": LATEST_LINES_SHOWN,
        "payments": Payment.objects.filter(patient=patient).order_by("-received_at")[:20],
        "statements": statements_of(patient=patient)[:24],
        "estimates": estimates_of(patient=patient)[:24],
        "assessment": assessment,
        "pending_fees": pending_fee.pending_application_fees(user=request.user, assessment=assessment),
        "current_class": card["class_label"],
        "fees": card["services"],
        "plan": plan,
        "plan_progress": plan_progress(plan=plan) if plan else [],
        "packages": packages_of(patient=patient),
        "pay_form": PayForm(initial={"amount": balance}) if balance > 0 and online_card_payments() else None,
        "next_instalment": next_instalment,
        "instalment_form": InstalmentPayForm(initial={"amount": min(next_instalment["due"], balance)})
        if next_instalment and balance > 0 and online_card_payments()
        else None,
        "payment_instructions": None if online_card_payments() else settings.CLINIC_PAYMENT_INSTRUCTIONS,
        "clinic": ClinicSettings.load(),
        "period_form": period_refused or SuperbillPeriodForm(),
        "period_not_done": refusal_said(SUPERBILL_PERIOD_REFUSED, period_refused) if period_refused else "",
    }
    if refused is not None:
        slot = "instalment_form" if isinstance(refused, InstalmentPayForm) else "pay_form"
        if context[slot] is not None:
            context[slot] = context["refused_form"] = refused
        else:
            messages.error(request, form_errors_text(refused))
    return render(request, "billing/portal/home.html", context, status=status)


@login_required
def assessment_apply(request):
    patient = portal_patient(request, "billing.view_ledger")
    form = AssessmentForm(posted(request), request.FILES or None)
    if form.is_bound and form.is_valid():
        try:
            assessment_submit(
                actor=request.user,
                patient=patient,
                household_size=form.cleaned_data["household_size"],
                annual_income=form.cleaned_data["annual_income"],
                proof=form.cleaned_data.get("proof"),
            )
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "Thank you. The billing office will review your application.")
            return redirect("portal:billing:home")
    context = {"form": form, "assessment": latest_assessment(patient=patient)}
    return render(request, "billing/portal/apply.html", context, status=form_status(form))


def _checkout(request, form_class, *, toward_plan: bool):
    """Start a card payment from one of the pay forms and send the patient to the provider's page."""
    patient = portal_patient(request, "billing.view_ledger")
    # The amount is read as at the front desk (MoneyField, then the service): what is refused says why, on the
    # field, and the page keeps what was typed.
    form = form_class(request.POST)
    if not form.is_valid():
        return _home_page(request, patient, refused=form, status=FORM_REFUSED_STATUS)
    plan = active_plan(patient=patient) if toward_plan else None
    try:
        if toward_plan and plan is None:
            raise Unprocessable("You have no active payment plan.")
        checkout = checkout_start(actor=request.user, patient=patient, amount=form.cleaned_data["amount"], plan=plan)
    except ApplicationError as exc:
        form_refusal(form, exc)
        return _home_page(request, patient, refused=form, status=form_status(form))
    return redirect(checkout.redirect_url)


@login_required
@require_POST
def pay(request):
    return _checkout(request, PayForm, toward_plan=False)


@login_required
@require_POST
def pay_instalment(request):
    """Pay the next instalment (or any part of what is left) of the active payment plan by card."""
    return _checkout(request, InstalmentPayForm, toward_plan=True)


@login_required
@require_safe
def checkout_return(request, pk):
    patient = portal_patient(request, "billing.view_ledger")
    checkout = _own(CheckoutSession.objects.select_related("payment"), patient, pk)
    context = {"checkout": checkout, "cancelled": request.GET.get("result") == "cancel"}
    return render(request, "billing/portal/checkout_return.html", context)


@login_required
def sandbox_checkout(request, pk):
    """The card sandbox's hosted checkout page (development and the local demo; production refuses the sandbox)."""
    patient = portal_patient(request, "billing.view_ledger")
    if SandboxBackend.name != settings.CLINIC_PAYMENT_BACKEND:
        raise Http404
    checkout = _own(CheckoutSession.objects.filter(provider=SandboxBackend.name), patient, pk)
    if request.method == "POST" and checkout.status == CheckoutStatus.OPEN:
        event = SandboxBackend().completion_event(checkout=checkout)
        provider_event_apply(provider=SandboxBackend.name, event=event)
        return redirect(reverse("portal:billing:checkout_return", args=[checkout.pk]) + "?result=success")
    return render(request, "billing/portal/sandbox_checkout.html", {"checkout": checkout})


@login_required
@require_safe
def receipt(request, pk):
    patient = portal_patient(request, "billing.view_ledger")
    payment = _own(Payment.objects.all(), patient, pk)
    context = {"payment": payment, "patient": patient, "clinic": ClinicSettings.load()}
    return render(request, "billing/portal/receipt.html", context)


def _statement_context(statement):
    """What a statement shows, on the portal's page and in the PDF patients and staff download."""
    return {
        "statement": statement,
        "clinic": ClinicSettings.load(),
        "patient": statement.patient,
        "body": (body := statement_body(statement=statement)),
        "lines": body.lines,
        "lines_after": body.lines_after,
        "packages": packages_held(patient=statement.patient, start=statement.period_start, end=statement.period_end),
    }


def statement_pdf_response(statement):
    filename = f"statement-{statement.period_start:%Y-%m}.pdf"
    return documents.pdf_response("billing/pdf/statement.html", _statement_context(statement), filename=filename)


def estimate_pdf_response(estimate):
    filename = f"good-faith-estimate-{estimate.issued_at:%Y%m%d}.pdf"
    return documents.pdf_response("billing/pdf/estimate.html", estimate_context(estimate), filename=filename)


def _document_views(name, rows_of, context_of, pdf_response):
    """The portal page and PDF of one kind of patient document (`name`), for rows of `rows_of(user, patient)`."""

    def own_row(request, pk):
        patient = portal_patient(request, "billing.view_ledger")
        return _own(rows_of(request.user, patient), patient, pk)

    @login_required
    @require_safe
    def page(request, pk):
        return render(request, f"billing/portal/{name}.html", context_of(own_row(request, pk)))

    @login_required
    @require_safe
    def pdf(request, pk):
        return pdf_response(own_row(request, pk))

    return page, pdf


statement, statement_pdf = _document_views(
    "statement", lambda _user, patient: statements_of(patient=patient), _statement_context, statement_pdf_response
)
estimate, estimate_pdf = _document_views(
    "estimate", lambda user, _patient: estimates_visible_to(user=user), estimate_context, estimate_pdf_response
)


@login_required
@require_safe
def superbill(request):
    patient = portal_patient(request, "billing.view_ledger")
    today = clock.local_now().date()
    form = SuperbillPeriodForm(request.GET or {"start": today.replace(month=1, day=1), "end": today})
    if not form.is_valid():  # the billing page again, the period as typed and its error by its field
        form_refused_focus(form)
        return _home_page(request, patient, period_refused=form, status=form_status(form))
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return superbill_response(
        request, patient=patient, start=start, end=end, refused=lambda exc: _superbill_refused(request, exc)
    )


def _superbill_refused(request, exc: ApplicationError):
    """Why the patient's superbill cannot be issued, for the patient. A missing diagnosis is the clinic's to record
    and the refusal's own message names a step on a staff page, so the page says what is missing and whom to ask."""
    if not isinstance(exc, superbill_selectors.DiagnosisMissing):
        return document_refused(
            request, exc, base="portal/base.html", back_url=reverse("portal:billing:home"), back_label="Back to billing"
        )
    context = {"can_message": request.user.has_perm("messaging.use_portal_messages")}
    return render(request, "billing/portal/superbill_not_ready.html", context, status=exc.status)


def document_refused(request, exc: ApplicationError, *, base: str, back_url: str, back_label: str):
    """The page saying why a document cannot be issued, in the refusal's own words, with the way back."""
    context = {"message": exc.message, "base": base, "back_url": back_url, "back_label": back_label}
    return render(request, "billing/document_refused.html", context, status=exc.status)


def superbill_response(request, *, patient, start: dt.date, end: dt.date, refused):
    """The superbill PDF, or `refused(exc)` when it cannot be issued (a 422 for a missing confirmed diagnosis):
    the page each audience reads the reason on."""
    try:
        context = superbill_selectors.superbill(patient=patient, start=start, end=end)
    except ApplicationError as exc:
        return refused(exc)
    return documents.pdf_response(
        "billing/pdf/superbill.html", context, filename=f"superbill-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
    )
