"""Billing pages for staff, and the public fee quote."""

import csv
import datetime as dt
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import apnumber
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, NotFound, Unprocessable
from apps.core.forms import FORM_REFUSED_STATUS, form_errors_text
from apps.core.models import ClinicSettings
from apps.core.money import AMOUNT_EXAMPLE, amount_read, money_text
from apps.core.permissions import permission_require
from apps.core.replica import reads_from_replica
from apps.core.spreadsheets import csv_row
from apps.core.time_zones import when_text
from apps.core.views import form_call, form_refusal, form_refused_focus, form_status, refusal_said, refusal_status
from apps.core.when import day_text
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for
from apps.scheduling.models import ServiceType

from . import pricing
from .forms import (
    AdjustmentForm,
    AgingForm,
    ApproveForm,
    DiagnosisForm,
    EstimateRequestForm,
    FeeScheduleForm,
    GuidelineForm,
    PackageSellForm,
    PaymentForm,
    PeriodForm,
    PlanForm,
    QuoteForm,
    RefundForm,
    RejectForm,
    ReverseForm,
    SlidingScaleReportForm,
)
from .models import (
    Adjustment,
    AdjustmentKind,
    FeeSchedule,
    Payment,
    PaymentPlan,
    PovertyGuideline,
    SlidingScaleAssessment,
    Statement,
)
from .portal_views import (
    SUPERBILL_PERIOD_REFUSED,
    document_refused,
    estimate_pdf_response,
    statement_pdf_response,
    superbill_response,
)
from .selectors import configuration as configuration_selectors
from .selectors import reports
from .selectors.assessments import assessment_incomes_shown, assessments_for_review
from .selectors.diagnoses import billing_diagnoses
from .selectors.estimates import estimates_visible_to
from .selectors.ledger import (
    CARD_REFUND_RETRY_UNTIL,
    account_lines,
    card_refunds_waiting,
    ledger_actions,
    patient_balance,
    patients_with_balances,
    staff_sees_account,
    statements_of,
)
from .selectors.packages import offerings_on_sale, packages_of
from .selectors.plans import active_plan, plan_progress
from .services import diagnoses as diagnoses_services
from .services import payments, statements
from .services.assessments import assessment_approval_preview, assessment_approve, assessment_reject
from .services.common import positive_money
from .services.configuration import fee_schedule_set, guideline_set, scale_schedule_save
from .services.estimates import gfe_issue_on_request
from .services.payments import adjustment_post, payment_record
from .services.plans import payment_plan_cancel, payment_plan_create, plan_cancel_refusal_raise
from .throttles import quote_throttled


@require_safe
def quote(request):
    """What will I pay? Public; the figures entered are used for the answer and not stored."""
    form = QuoteForm(request.GET or None)
    context = {"form": form, "quote": None}
    if form.is_bound:
        if quote_throttled(request):
            return HttpResponse("Too many requests; try again in a minute.", status=429, content_type="text/plain")
        if form.is_valid():
            try:
                context["quote"] = pricing.quote(**form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
    return render(request, "billing/quote.html", context)


@login_required
@require_safe
def billing_home(request):
    permission_require(request.user, "billing.list_balances")
    context = {
        "rows": patients_with_balances(user=request.user),
        "pending": assessments_for_review().count() if request.user.has_perm("billing.review_assessment") else None,
        "can_report": request.user.has_perm("billing.view_reports"),
        "can_configure": request.user.has_perm("billing.manage_config"),
        # The refunds the provider has not confirmed, for those who refund: the ones past the retry window are
        # theirs to check in the provider's dashboard.
        "card_refunds_waiting": (
            card_refunds_waiting(user=request.user) if request.user.has_perm("billing.refund_payment") else []
        ),
        "card_refund_retry_hours": int(CARD_REFUND_RETRY_UNTIL.total_seconds() // 3600),
    }
    return render(request, "billing/home.html", context)


def _ledger_patient(request, pk) -> Patient:
    """The patient whose account a staff page is about; one the user may not see answers like a missing one, the
    refusal logged (a patient's own account is the portal's)."""
    try:
        patient = patient_get_for(
            user=request.user, patient_id=pk, perm="billing.view_ledger", action="billing_ledger_view"
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not staff_sees_account(user=request.user, patient=patient):
        raise Http404("No such patient.")
    return patient


@login_required
@require_safe
def patient_ledger(request, pk):
    """One patient's account. Income figures only for the billing office; the front desk sees the class."""
    return _ledger_page(request, _ledger_patient(request, pk))


# The account page's own forms, each with ids of its own (three of them have an amount). Sent and refused, each comes
# back on the page as it was typed (`_ledger_refused`).
LEDGER_FORM_IDS = {
    PaymentForm: "id_%s",
    AdjustmentForm: "adjustment_%s",
    PlanForm: "plan_%s",
    EstimateRequestForm: "estimate_%s",
    DiagnosisForm: "diagnosis_%s",
}


# The package sale's form, on the account page and its confirmation: refused, it comes back on the account page.
PACKAGE_FORM_ID = "package_%s"


# What each of the account page's own forms says it did not do, before why, when the account moved on meanwhile.
LEDGER_NOT_DONE = {
    PaymentForm: "No payment was recorded.",
    AdjustmentForm: "No adjustment was posted.",
    PlanForm: "No payment plan was set up.",
    EstimateRequestForm: "No estimate was issued.",
    DiagnosisForm: "The diagnosis codes were not saved.",
}


def _ledger_form(form_class, data=None, *, initial=None):
    """One of the account page's own forms: new (filled with `initial`), or as `data` sent it."""
    return form_class(data, initial=initial, auto_id=LEDGER_FORM_IDS[form_class])


def _ledger_page(
    request, patient: Patient, *, refused=None, status: int = 200, not_done: str = "", period_form=None, row=None
):
    """The account page; with `refused`, one of its own forms, that form shown again as it was sent. With `not_done`,
    a summary at its top says what was not done and why (a statement not issued, a superbill period refused: then
    `period_form` is that form as it was sent, its error by the field it is about; a package sale refused: then
    `refused` is the sale form, the package as chosen)."""
    user = request.user

    def form_shown(form_class, allowed: bool, initial=None):
        if not allowed:
            return None
        return refused if type(refused) is form_class else _ledger_form(form_class, initial=initial)

    sees_income = user.has_perm("billing.view_income")
    access_log_write(actor=user, action="billing_ledger_view", subject=patient, patient_id=patient.pk)
    assessments = list(SlidingScaleAssessment.objects.filter(patient=patient)) if sees_income else None
    if assessments:
        assessment_incomes_shown(user=user, assessments=assessments)
    plan = active_plan(patient=patient)
    diagnoses = billing_diagnoses(patient=patient)
    lines = account_lines(patient=patient)
    balance = patient_balance(patient=patient)
    waiting = card_refunds_waiting(user=user, patient=patient)
    issued = list(statements_of(patient=patient))
    # None configured, or the patient holds each in force: the page says so instead of an empty list to choose from.
    can_sell_package = user.has_perm("billing.sell_package") and offerings_on_sale(patient=patient).exists()
    package_form = PackageSellForm(patient=patient, auto_id=PACKAGE_FORM_ID) if can_sell_package else None
    period_form = period_form or (PeriodForm() if user.has_perm("billing.issue_superbill") else None)
    summarised_form = period_form  # the form the summary at the top points into, when one came back refused
    if can_sell_package and isinstance(refused, PackageSellForm):
        # Sent as any package (the sale says why one cannot be sold to this patient), listed as the page lists
        # them: those this patient can be sold now.
        refused.fields["offering"].queryset = offerings_on_sale(patient=patient)
        package_form = summarised_form = refused
    context = {
        "patient": patient,
        "balance": balance,
        # Nothing owed: an adjustment or a plan would be refused (to give money back is a refund).
        "owed": balance > 0,
        "lines": ledger_actions(lines, card_refunds_waiting=waiting),
        "card_refunds_waiting": waiting,
        "current_class": pricing.patient_class_label(patient=patient),
        "assessments": assessments,
        "fixed_fees_charged_in_full": pricing.fixed_fees_charged_in_full(assessments=assessments or []),
        "sees_income": sees_income,
        "plan": plan,
        "plan_progress": plan_progress(plan=plan) if plan else [],
        "statements": issued,
        "last_month_statement": next((s for s in issued if s.period_start == _last_month()), None),
        "estimates": estimates_visible_to(user=user).filter(patient=patient),
        "estimate_form": form_shown(EstimateRequestForm, user.has_perm("billing.issue_estimate")),
        "payment_form": form_shown(PaymentForm, user.has_perm("billing.record_payment")),
        "adjustment_form": form_shown(AdjustmentForm, user.has_perm("billing.post_adjustment")),
        "plan_form": form_shown(PlanForm, user.has_perm("billing.manage_plan") and not plan),
        "can_manage_plan": user.has_perm("billing.manage_plan"),
        "packages": packages_of(patient=patient),
        "package_form": package_form,
        "can_refund_package": user.has_perm("billing.refund_package"),
        "diagnosis_form": form_shown(
            DiagnosisForm,
            user.has_perm("billing.edit_diagnoses", patient),
            initial={"diagnosis_codes": ", ".join(d.code for d in diagnoses if d.status == "confirmed")},
        ),
        "proposed_diagnoses": [d.code for d in diagnoses if d.status == "proposed"],
        "proposed_left_off": [d.code for d in diagnoses if d.left_off_on_confirm],
        "period_form": period_form,
        "not_done": not_done,
        "summarised_form": summarised_form,
        "row_refused": row,
        "can_refund": user.has_perm("billing.refund_payment"),
        "can_issue": user.has_perm("billing.issue_statement"),
    }
    return render(request, "billing/patient_ledger.html", context, status=status)


def _ledger_refused(request, patient: Patient, form, exc: ApplicationError | None = None):
    """The account page again for one of its own forms refused, by its own checks or by the service (`exc`): the
    form as it was sent (its submission key with it, so that the corrected form is still the one submission), the
    refusal said once, on the form, by the field it is about, and that field in focus; the page's other forms new.

    A conflict (the key recorded something else, a plan set up meanwhile) is the account having moved on: it is said
    at the top of the page shown anew, with a fresh form, and answered 409."""
    if isinstance(exc, Conflict):
        said = f"{LEDGER_NOT_DONE[type(form)]} {exc.message}"
        return _ledger_page(request, patient, not_done=said, status=refusal_status(exc))
    refused_form_ready(form, exc)
    return _ledger_page(request, patient, refused=form, status=form_status(form))


def refused_form_ready(form, exc: ApplicationError | None = None) -> None:
    """Make a refused money form ready to be shown again as it was sent: the service's refusal (`exc`) on it, what
    its hidden fields refused (the submission key) said above its fields, and the field to fix in focus."""
    if exc is not None:
        form_refusal(form, exc)
    for field in form.hidden_fields():  # nothing is shown by a hidden field (the submission key): said above them
        for error in field.errors:
            form.add_error(None, f"{field.label} {error}")
    form_refused_focus(form)


def _payment_record(actor, patient, *, toward_plan: bool, **data):
    plan = active_plan(patient=patient) if toward_plan else None
    if toward_plan and plan is None:
        raise Unprocessable("This patient has no active payment plan.")
    return payment_record(actor=actor, patient=patient, plan=plan, **data)


@login_required
@require_POST
def payment_create(request, pk):
    """Record the payment the ledger's form sends, then show its receipt. Refused, the page comes back with the form
    as it was sent, its submission key with it, so that the corrected form is still the one submission; sent again
    once recorded, it shows the receipt of the payment it recorded."""
    patient = _ledger_patient(request, pk)
    permission_require(request.user, "billing.record_payment")
    form = _ledger_form(PaymentForm, request.POST)
    if not form.is_valid():
        return _ledger_refused(request, patient, form)
    try:
        payment = _payment_record(request.user, patient, **form.cleaned_data)
    except ApplicationError as exc:  # a conflict (the key recorded another payment) gets a fresh form, key and all
        return _ledger_refused(request, patient, form, exc)
    if payment.replayed:
        messages.success(request, f"This payment was already recorded, receipt {payment.receipt_number}.")
    else:
        messages.success(request, f"Payment recorded, receipt {payment.receipt_number}.")
    return redirect("billing:receipt", pk=payment.pk)


def _ledger_post_view(
    form_class,
    perm,
    action,
    success,
    *,
    target=None,
    perm_on_patient: bool = False,
    ask_first=None,
    replayed: str = "",
    not_done: str = "",
    row_action: str = "",
):
    """A POST-only page that runs `action(actor, subject, data)` and goes back to the patient's ledger, saying
    `success` (or `success(result)`, when what to say depends on what the action did).

    The subject is the patient named in the URL, or `target(pk)` (a row on a patient's ledger) when given. The
    data is `form_class`'s cleaned data, or the raw POST when the action takes no form. With `ask_first` (what
    cannot be undone: money leaving, written off or put back, a plan ended), a valid form first shows what it will
    do, `ask_first(actor, subject, data)` giving the Confirmation, and only a post confirming that very question
    runs the action: one confirming another (the account moved on meanwhile) is asked the question that now holds.
    A form that records money once per submission (RecordedOnceForm) sent again once recorded is not asked about
    again: the action answers what it recorded, and `replayed` says so. Refused, the account page comes back saying
    `not_done` and why (a form of the page's own, as `_ledger_refused` shows it); `row_action` names the row form
    (on the row of the subject) that is shown again as it was typed.
    """

    @login_required
    @require_POST
    def view(request, pk):
        subject = target(pk) if target else _ledger_patient(request, pk)
        patient_id = subject.patient_id if target else subject.pk
        permission_require(request.user, perm, subject if perm_on_patient else None)
        on_page = form_class in LEDGER_FORM_IDS
        form = (_ledger_form(form_class, request.POST) if on_page else form_class(request.POST)) if form_class else None

        def refused(exc: ApplicationError | None = None):
            if on_page:  # one of the account page's own forms, posted to the patient's address: back as typed
                return _ledger_refused(request, subject, form, exc)
            # A row's action or a button: the account page again, what was not done and why at its top, a row's
            # form as it was typed; 422 for what was typed, 409 for the account as it now stands.
            said = f"{not_done} {exc.message if exc else form_errors_text(form)}"
            status = refusal_status(exc) if exc else FORM_REFUSED_STATUS
            row = {"action": row_action, "pk": subject.pk, "form": form} if row_action else None
            return _ledger_page(request, _ledger_patient(request, patient_id), not_done=said, status=status, row=row)

        if form is not None and not form.is_valid():
            return refused()
        data = form.cleaned_data if form is not None else request.POST
        if ask_first is not None and not _sent_again(form):
            try:  # refused before asking, by the check the action makes (it asks again under its locks)
                confirmation = ask_first(request.user, subject, data)
            except ApplicationError as exc:
                return refused(exc)
            if request.POST.get("confirmed") != confirmation.confirms:
                context = {"confirmation": confirmation, "form": form, "patient_id": patient_id}
                return render(request, "billing/ledger_confirm.html", context)
        try:
            result = action(request.user, subject, data)
        except ApplicationError as exc:
            return refused(exc)
        said = success(result) if callable(success) else success
        messages.success(request, replayed if getattr(result, "replayed", False) else said)
        return redirect("billing:patient_ledger", pk=patient_id)

    return view


def _sent_again(form) -> bool:
    """Whether the (valid) form posted is a submission that recorded its row already (a refresh, Back then send):
    answered with that row, not asked about again, as its checks (the balance, what is left to refund) no longer
    hold."""
    return form is not None and payments.submission_seen(form.cleaned_data.get("submission_key"))


def _adjustment_post(actor, patient, data):
    return adjustment_post(actor=actor, patient=patient, **data)


def _adjustment_reverse(actor, adjustment, data):
    return payments.adjustment_reverse(actor=actor, adjustment=adjustment, reason=data["reason"])


def _payment_refund(actor, payment, data):
    return payments.payment_refund(actor=actor, payment=payment, **data)


def _plan_create(actor, patient, data):
    return payment_plan_create(actor=actor, patient=patient, **data)


def _plan_cancel(actor, plan, _post):
    return payment_plan_cancel(actor=actor, plan=plan)


def _diagnoses_set(actor, patient, data):
    codes = data["diagnosis_codes"].split(",")
    return diagnoses_services.billing_profile_set(actor=actor, patient=patient, diagnosis_codes=codes)


def _diagnoses_confirm(actor, patient, _post):
    return diagnoses_services.diagnoses_confirm(actor=actor, patient=patient)


def _diagnoses_confirmed(left_off: list[str]) -> str:
    if not left_off:
        return "Proposed diagnoses confirmed."
    return (
        "Proposed diagnoses confirmed. A superbill letters twelve diagnoses (A to L), so "
        f"{', '.join(left_off)} {'was' if len(left_off) == 1 else 'were'} left off."
    )


def _adjustment(pk):
    return get_object_or_404(Adjustment, pk=pk)


def _payment(pk):
    return get_object_or_404(Payment, pk=pk)


def _plan(pk):
    return get_object_or_404(PaymentPlan.objects.select_related("patient"), pk=pk)


@dataclass(frozen=True)
class Confirmation:
    """What a ledger action asks before it runs: the question, the button that confirms it and the way back, a note
    on what follows, and what the confirming post sends (`confirms`), so that a post confirming another question
    does not run the action."""

    question: str
    yes: str
    note: str
    no: str = "Back to the account"
    confirms: str = "yes"


# What every confirmation of a posted row says: nothing posted is ever edited.
KEPT_AS_POSTED = "Posted rows are kept as they are: a mistake is corrected by a new row, not by changing this one."


def _adjustment_question(_actor, patient, data) -> Confirmation:
    payments.adjustment_refusal_raise(patient=patient, amount=positive_money(data["amount"], "amount"))
    kind = AdjustmentKind(data["kind"]).label.lower()
    amount = money_text(data["amount"])
    question = f"Post a {kind} of {amount} to {patient.display_name}'s account?"
    return Confirmation(question, f"Post the {kind} of {amount}", KEPT_AS_POSTED)


def _reverse_question(_actor, adjustment, data) -> Confirmation:
    payments.adjustment_reverse_refusal_raise(adjustment=adjustment, reason=data["reason"])
    what = f"{adjustment.get_kind_display().lower()} of {money_text(adjustment.amount)}"
    return Confirmation(
        f"Reverse the {what} on {adjustment.patient.display_name}'s account?",
        f"Reverse the {what}",
        f"{KEPT_AS_POSTED} A reversal cannot itself be reversed; to credit the account again, post a new adjustment.",
    )


def _plan_cancel_question(_actor, plan, _post) -> Confirmation:
    plan_cancel_refusal_raise(plan=plan)
    return Confirmation(
        f"Cancel {plan.patient.display_name}'s payment plan?",
        "Cancel the plan",
        "Payments made against it stay on the account and the balance is owed as before; no more installment "
        "reminders are sent. A cancelled plan cannot be started again: split the balance into a new plan instead.",
    )


def _refund_question(actor, payment, data) -> Confirmation:
    """A card refund sent while another on the same payment waits for the provider is most often that one retried
    by someone who thinks it failed: they are told it waits, and only confirming that (the waiting refunds it names,
    in `confirms`) makes a second one."""
    payments.refund_refusal_raise(payment=payment, amount=positive_money(data["amount"], "amount"))
    amount = money_text(data["amount"])
    waiting = card_refunds_waiting(user=actor, payment=payment)
    if not waiting:
        return Confirmation(
            f"Refund {amount} of receipt {payment.receipt_number} to {payment.patient.display_name}?",
            f"Refund {amount}",
            KEPT_AS_POSTED,
        )
    clinic_zone = ZoneInfo(settings.TIME_ZONE)

    def asked_on(card_refund) -> str:
        return when_text(card_refund.requested_at, zone=clinic_zone, day_format="M j", always_zone=True)

    if len(waiting) == 1:
        said = f"A refund of {money_text(waiting[0].amount)} on this payment from {asked_on(waiting[0])} is still "
        said += "waiting for the card provider; it will be posted once the provider confirms it and will not be made "
        said += "twice."
        no = "No, wait for the first"
    else:
        # The payment is named once; each refund by its amount and when it was asked, so none reads as another's.
        count = apnumber(len(waiting))
        asked = [f"{money_text(w.amount)} asked {asked_on(w)}" for w in waiting]
        said = f"{count.capitalize()} refunds on this payment are still waiting for the card provider: "
        said += f"{', '.join(asked[:-1])} and {asked[-1]}. Each will be posted once the provider confirms it, and "
        said += f"{'neither' if len(waiting) == 2 else 'none'} will be made twice."
        no = f"No, wait for those {count}"
    return Confirmation(
        f"{said} Refund another {amount} as well?",
        f"Yes, refund another {amount}",
        KEPT_AS_POSTED,
        no=no,
        confirms="another:" + ",".join(str(w.pk) for w in waiting),
    )


adjustment_create = _ledger_post_view(
    AdjustmentForm,
    "billing.post_adjustment",
    _adjustment_post,
    "Adjustment posted.",
    ask_first=_adjustment_question,
    replayed="This adjustment was already posted; nothing more was posted.",
)
adjustment_reverse = _ledger_post_view(
    ReverseForm,
    "billing.post_adjustment",
    _adjustment_reverse,
    "Adjustment reversed.",
    target=_adjustment,
    ask_first=_reverse_question,
    not_done="The adjustment was not reversed.",
    row_action="reverse",
)
payment_refund = _ledger_post_view(
    RefundForm,
    "billing.refund_payment",
    _payment_refund,
    "Refund posted.",
    target=_payment,
    ask_first=_refund_question,
    replayed="This refund was already recorded; nothing more was refunded.",
    not_done="Nothing was refunded.",
    row_action="refund",
)
plan_create = _ledger_post_view(PlanForm, "billing.manage_plan", _plan_create, "Payment plan set up.")
plan_cancel = _ledger_post_view(
    None,
    "billing.manage_plan",
    _plan_cancel,
    "Payment plan cancelled.",
    target=_plan,
    ask_first=_plan_cancel_question,
    not_done="The payment plan was not cancelled.",
)
diagnoses_set = _ledger_post_view(
    DiagnosisForm, "billing.edit_diagnoses", _diagnoses_set, "Diagnosis codes saved.", perm_on_patient=True
)
diagnoses_confirm = _ledger_post_view(
    None,
    "billing.edit_diagnoses",
    _diagnoses_confirm,
    _diagnoses_confirmed,
    perm_on_patient=True,
    not_done="The proposed diagnoses were not confirmed.",
)


@login_required
@require_POST
def statement_issue(request, pk):
    patient = _ledger_patient(request, pk)
    permission_require(request.user, "billing.issue_statement")
    last_month = _last_month()
    try:
        statement = statements.statement_issue(
            actor=request.user, patient=patient, year=last_month.year, month=last_month.month
        )
    except ApplicationError as exc:  # nothing was issued: 422, or 409 when a later month's statement is out already
        return _ledger_page(
            request, patient, not_done=f"No statement was issued. {exc.message}", status=refusal_status(exc)
        )
    if statement.replayed:
        issued = day_text(timezone.localtime(statement.issued_at).date())
        messages.info(
            request, f"The statement for {statement.period_start:%B %Y} was issued on {issued}; nothing was sent again."
        )
    else:
        messages.success(request, f"Statement for {statement.period_start:%B %Y} issued.")
    return redirect("billing:patient_ledger", pk=patient.pk)


@login_required
@require_POST
def estimate_request(request, pk):
    """Issue the Good Faith Estimate a patient asked for, and say what it came to."""
    # Refused before the patient is looked up: a therapist or a patient learns nothing of the account.
    permission_require(request.user, "billing.issue_estimate")
    patient = _ledger_patient(request, pk)
    form = _ledger_form(EstimateRequestForm, request.POST)
    if not form.is_valid():
        return _ledger_refused(request, patient, form)
    try:
        estimate = gfe_issue_on_request(actor=request.user, patient=patient, **form.cleaned_data)
    except ApplicationError as exc:
        return _ledger_refused(request, patient, form, exc)
    # The notice goes by email only (gfe_notice_build): without an address the desk hands over the PDF.
    delivery = (
        "The patient is emailed a link to it."
        if patient.email
        else "The patient has no email address on file: print the PDF for them."
    )
    messages.success(request, f"Good Faith Estimate issued: {money_text(estimate.total)}. {delivery}")
    return redirect("billing:patient_ledger", pk=patient.pk)


def _last_month() -> dt.date:
    """The first day of the month before this one on the clinic's clock: the month a statement is issued for."""
    return (clock.local_now().date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@login_required
@require_safe
def statement_pdf(request, pk):
    statement = get_object_or_404(Statement.objects.select_related("patient"), pk=pk)
    _ledger_patient(request, statement.patient_id)
    return statement_pdf_response(statement)


@login_required
@require_safe
def estimate_pdf(request, pk):
    estimate = get_object_or_404(estimates_visible_to(user=request.user), pk=pk)
    _ledger_patient(request, estimate.patient_id)
    return estimate_pdf_response(estimate)


@login_required
@require_safe
def superbill(request, pk):
    patient = _ledger_patient(request, pk)
    permission_require(request.user, "billing.issue_superbill")
    form = PeriodForm(request.GET)
    if not form.is_valid():  # the account page again, the period as typed and its error by its field
        form_refused_focus(form)
        not_done = refusal_said(SUPERBILL_PERIOD_REFUSED, form)
        return _ledger_page(request, patient, not_done=not_done, period_form=form, status=form_status(form))
    refused = partial(
        document_refused,
        request,
        base="staff_base.html",
        back_url=reverse("billing:patient_ledger", args=[patient.pk]),
        back_label="Back to the account",
    )
    return superbill_response(
        request, patient=patient, start=form.cleaned_data["start"], end=form.cleaned_data["end"], refused=refused
    )


@login_required
@require_safe
def receipt(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("patient", "refund_of"), pk=pk)
    _ledger_patient(request, payment.patient_id)
    return render(request, "billing/receipt.html", {"payment": payment, "clinic": ClinicSettings.load()})


# --- assessments -------------------------------------------------------------------------------------------------


@login_required
@require_safe
def assessment_queue(request):
    permission_require(request.user, "billing.review_assessment")
    assessments = list(assessments_for_review())
    assessment_incomes_shown(user=request.user, assessments=assessments)
    return render(request, "billing/assessments.html", {"assessments": assessments})


@login_required
def assessment_review(request, pk):
    permission_require(request.user, "billing.review_assessment")
    assessment = get_object_or_404(SlidingScaleAssessment.objects.select_related("patient"), pk=pk)
    approve_form = ApproveForm(request.POST if request.POST.get("decision") == "approve" else None)
    reject_form = RejectForm(request.POST if request.POST.get("decision") == "reject" else None)
    if request.method == "POST":
        try:
            if approve_form.is_bound and approve_form.is_valid():
                approval = {name: approve_form.cleaned_data[name] for name in ApproveForm.base_fields}
                # It changes the patient's fee for twelve months: the reviewer sees that fee and confirms first,
                # unless the application could not be approved anyway (said on the form below).
                if request.POST.get("confirmed") != "yes":
                    preview = assessment_approval_preview(actor=request.user, assessment=assessment, **approval)
                    return _approval_confirm(request, assessment, preview, approve_form)
                assessment_approve(actor=request.user, assessment=assessment, **approval)
                messages.success(request, "Approved.")
                return redirect("billing:assessments")
            if reject_form.is_bound and reject_form.is_valid():
                assessment_reject(actor=request.user, assessment=assessment, reason=reject_form.cleaned_data["reason"])
                messages.success(request, "Rejected; the patient sees the reason in the portal.")
                return redirect("billing:assessments")
        except ApplicationError as exc:
            # On the form that was sent, on the field it names, with what was typed kept.
            form_refusal(approve_form if approve_form.is_bound else reject_form, exc)
    assessment_incomes_shown(user=request.user, assessments=[assessment])
    context = {
        "assessment": assessment,
        "approve_form": approve_form,
        "reject_form": reject_form,
        "fees_if_approved": _fees_if_approved(request.user, assessment),
    }
    return render(request, "billing/assessment_review.html", context)


def _approved_fees(preview: SlidingScaleAssessment) -> dict:
    """The fee card of an approval's preview: each service's fee per session from the day it takes effect."""
    return pricing.assessment_fee_card(assessment=preview, on=max(clock.local_now().date(), preview.effective_from))


def _fees_if_approved(user, assessment: SlidingScaleAssessment) -> dict | None:
    """The fees a pending application would give if approved today as it stands (no fixed fee), or None when it
    is not pending."""
    try:
        return _approved_fees(assessment_approval_preview(actor=user, assessment=assessment))
    except ApplicationError:
        return None


def _approval_confirm(request, assessment, preview, approve_form):
    """The question before an approval: the class and the fee per session it gives, from when and until when."""
    assessment_incomes_shown(user=request.user, assessments=[assessment])  # the fees are priced from the income
    context = {"assessment": assessment, "preview": preview, "fees": _approved_fees(preview), "form": approve_form}
    return render(request, "billing/assessment_approve_confirm.html", context)


@login_required
@require_safe
def assessment_proof(request, pk):
    permission_require(request.user, "billing.review_assessment")
    assessment = get_object_or_404(SlidingScaleAssessment, pk=pk)
    if not assessment.proof:
        raise Http404
    access_log_write(
        actor=request.user, action="income_proof_view", subject=assessment, patient_id=assessment.patient_id
    )
    response = HttpResponse(assessment.proof.open("rb").read(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="proof-{assessment.pk}"'
    return response


# --- reports -----------------------------------------------------------------------------------------------------


@login_required
@reads_from_replica
@require_safe
def aging_report(request):
    permission_require(request.user, "billing.view_reports")
    form = AgingForm(request.GET)
    as_of = form.cleaned_data["as_of"] if form.is_valid() else None
    # A date with an error is left out: the report shows today, and the page says what to fix at its top (422).
    context = {"form": form, "report": reports.ar_aging(as_of=as_of or clock.local_now().date())}
    return render(request, "billing/aging.html", context, status=form_status(form))


@login_required
@reads_from_replica
@require_safe
def sliding_scale_report(request):
    form, report = _sliding_scale(request)
    return render(
        request,
        "billing/sliding_scale_report.html",
        {"form": form, "report": report, "query": request.GET.urlencode()},
        status=200 if report else FORM_REFUSED_STATUS,
    )


@login_required
@reads_from_replica
@require_safe
def sliding_scale_report_csv(request):
    """The report's tables as CSV, from the same selector and filters as the page."""
    form, report = _sliding_scale(request)
    if report is None:
        return render(
            request, "billing/sliding_scale_report.html", {"form": form, "report": None}, status=FORM_REFUSED_STATUS
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sliding-scale-{report["start"]}-{report["end"]}.csv"'
    writer = csv.writer(response)
    writer.writerows(csv_row(row) for row in reports.sliding_scale_csv_heading(report))
    writer.writerow([])
    for title, headers, rows in reports.sliding_scale_csv_tables(report):
        writer.writerow(csv_row([title]))
        writer.writerow(csv_row(headers))
        for row in rows:
            writer.writerow(csv_row(row))
        writer.writerow([])
    return response


def _sliding_scale(request) -> tuple[SlidingScaleReportForm, dict | None]:
    """The report's filters (this month by default; a period and optionally a location) and the report, or None
    when the filters are not valid (the form says why)."""
    permission_require(request.user, "billing.view_reports")
    today = clock.local_now().date()
    form = SlidingScaleReportForm(request.GET or {"start": today.replace(day=1), "end": today})
    return form, reports.sliding_scale_report(**form.cleaned_data) if form.is_valid() else None


# --- configuration -----------------------------------------------------------------------------------------------


def _scale_schedule_today():
    """The class table in force today, or None before the clinic has set one up."""
    try:
        return pricing.scale_schedule_on(on=clock.local_now().date())
    except ApplicationError:
        return None


@login_required
@require_safe
def configuration(request):
    permission_require(request.user, "billing.manage_config")
    return _configuration_page(request)


def _configuration_page(request, *, refused: str = "", form=None, service_type=None):
    """The fees and sliding-scale page; with `form` refused (`refused` says what was not done: a fee for
    `service_type`, or a poverty guideline), the page again with a summary at its top saying what was not done and
    why, the form as it was typed with each error by its field, and the refusal's status (422 for what was typed)."""
    if form is not None:
        form_refused_focus(form)
    guideline_form = form if isinstance(form, GuidelineForm) else GuidelineForm()
    context = {
        "fee_rows": FeeSchedule.objects.select_related("service_type"),
        "service_types": ServiceType.objects.filter(is_active=True),
        "guidelines": PovertyGuideline.objects.all(),
        "schedule": _scale_schedule_today(),
        "guideline_form": guideline_form,
        "fee_form": form if isinstance(form, FeeScheduleForm) else None,
        "fee_service_id": service_type.pk if service_type is not None else None,
        "refused_form": form,
        "refused_message": refusal_said(refused, form) if form is not None else "",
    }
    return render(request, "billing/configuration.html", context, status=form_status(form))


def _configuration_post(request, form, not_done: str, call, success: str, *, service_type=None):
    """Run `call` on the valid `form` and go back to the page saying `success`; refused (by the form or by the
    service), the page again as `_configuration_page` shows it, nothing saved."""
    if form_call(request, form, call, success):
        return redirect("billing:configuration")
    return _configuration_page(request, refused=not_done, form=form, service_type=service_type)


@login_required
@require_safe
def configuration_history(request):
    """Who changed which fee, guideline or class, and from what to what."""
    permission_require(request.user, "billing.manage_config")
    page = Paginator(configuration_selectors.configuration_history(), 50).get_page(request.GET.get("page"))
    context = {"page": page, "changes": configuration_selectors.configuration_changes(page), "query": ""}
    return render(request, "billing/configuration_history.html", context)


@login_required
@require_POST
def fee_schedule_add(request, service_type_pk):
    permission_require(request.user, "billing.manage_config")
    service_type = get_object_or_404(ServiceType, pk=service_type_pk)
    return _configuration_post(
        request,
        FeeScheduleForm(request.POST, auto_id=f"fee_{service_type.pk}_%s"),
        f"The fee for {service_type.code} was not set.",
        lambda data: fee_schedule_set(actor=request.user, service_type=service_type, **data),
        f"Fee for {service_type.code} saved.",
        service_type=service_type,
    )


@login_required
@require_POST
def guideline_add(request):
    permission_require(request.user, "billing.manage_config")
    return _configuration_post(
        request,
        GuidelineForm(request.POST),
        "The poverty guideline was not saved.",
        lambda data: guideline_set(actor=request.user, **data),
        "Poverty guideline saved.",
    )


# A sliding scale has a handful of classes (the HRSA table has six); the page never sends more than this many rows.
SCALE_MAX_ROWS = 30


def _scale_rows(value: str) -> int:
    """How many rows the table form sent, refused past any real table rather than looped over."""
    rows = int(value)
    if not 0 <= rows <= SCALE_MAX_ROWS:
        raise Unprocessable(f"A sliding-scale table has at most {SCALE_MAX_ROWS} classes.")
    return rows


@login_required
def scale_edit(request):
    """Edit the class table as a new version from a date on: bounds, percentages, nominal and policy fees."""
    permission_require(request.user, "billing.manage_config")
    today = clock.local_now().date()
    current = _scale_schedule_today()
    rows = list(current.classes.all()) if current else []
    typed = {
        "effective_from": today.isoformat(),
        "nominal_fee": current.nominal_fee if current else "20.00",
        "late_cancel_fee": current.late_cancel_fee if current else "100.00",
    }
    refused, status = "", 200
    if request.method == "POST":
        try:
            classes = [
                {
                    "code": request.POST[f"code_{i}"].strip(),
                    "label": request.POST[f"label_{i}"].strip(),
                    "max_percent": _decimal_or_none(request.POST.get(f"max_percent_{i}", "")),
                    "basis": request.POST.get(f"basis_{i}", "percent"),
                    "percent_of_full": _decimal_or_none(request.POST.get(f"percent_{i}", "")) or 0,
                }
                for i in range(_scale_rows(request.POST.get("rows", "0")))
                if request.POST.get(f"code_{i}", "").strip()
            ]
            scale_schedule_save(
                actor=request.user,
                effective_from=dt.date.fromisoformat(request.POST["effective_from"]),
                nominal_fee=_amount_or_none(request.POST["nominal_fee"], "Nominal fee"),
                late_cancel_fee=_amount_or_none(request.POST["late_cancel_fee"], "Late-cancel / no-show policy fee"),
                classes=classes,
            )
        except (KeyError, ValueError, TypeError):
            refused, status = (
                "Check the table: every row needs a code and a name, and the dates and amounts must be valid.",
                FORM_REFUSED_STATUS,
            )
        except ApplicationError as exc:
            refused, status = exc.message, refusal_status(exc)
        else:
            messages.success(request, "Sliding-scale table saved.")
            return redirect("billing:configuration")
        # Refused: nothing saved, the table again as it was typed, the summary at the top saying why.
        typed = {name: request.POST.get(name, "") for name in typed}
        rows = _scale_rows_typed(request.POST)
    context = {
        "current": current,
        "rows": rows,
        "blank_rows": range(len(rows), len(rows) + 2),
        "typed": typed,
        "refused": f"The sliding-scale table was not saved. {refused}" if refused else "",
    }
    return render(request, "billing/scale_edit.html", context, status=status)


def _scale_rows_typed(data) -> list[dict]:
    """The class rows a refused table form sent, as typed (a row with nothing typed in it left out), for the page to
    show them again; never more than a real table holds, whatever row count was sent."""
    try:
        sent = min(max(int(data.get("rows", "0")), 0), SCALE_MAX_ROWS)
    except ValueError:
        sent = 0
    names = {
        "code": "code",
        "label": "label",
        "max_percent": "max_percent",
        "basis": "basis",
        "percent_of_full": "percent",
    }
    rows = [{key: data.get(f"{name}_{i}", "").strip() for key, name in names.items()} for i in range(sent)]
    return [row for row in rows if any(value for key, value in row.items() if key != "basis")]


def _amount_or_none(value: str, label: str):
    """A fee typed into the table, read as the money fields of every form read one; refused naming it."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return amount_read(value.replace(",", "").replace("$", ""))
    except ValueError:
        raise Unprocessable(f"{label}: {AMOUNT_EXAMPLE}") from None


def _decimal_or_none(value: str):
    from decimal import Decimal, InvalidOperation

    value = (value or "").strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number
