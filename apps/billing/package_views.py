"""Staff pages for session packages: selling one on the patient's billing page and refunding what is left of one,
each through a confirmation page that shows the money before anything is posted. Refused, each answers with its
page again and a summary at its top of what was not done and why: 422 for what was sent, 409 for the package or
the account as it now stands; nothing is charged or refunded."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from apps.core import clock
from apps.core.errors import ApplicationError, Conflict
from apps.core.money import ZERO, money_text
from apps.core.permissions import permission_require
from apps.core.views import form_call, form_refused_focus, form_status, posted, refusal_said, refusal_status

from .forms import PackageRefundForm, PackageSellForm
from .models import PackagePurchase
from .selectors.ledger import patient_balance
from .services.packages import (
    package_purchase,
    package_quote,
    package_refund,
    package_refund_amount,
    package_refund_refusal_raise,
    package_sale_seen,
)
from .views import PACKAGE_FORM_ID, _ledger_page, _ledger_patient, refused_form_ready

SALE_NOT_DONE = "No package was sold."


@login_required
def package_sell(request, pk):
    """GET: what the chosen package costs this patient, to confirm. POST: sell it (one charge on the ledger). The
    confirmation reloaded, or reached again by Back, once its sale is made answers that sale instead of asking.
    Refused, before asking or on selling, the account page comes back with the package as chosen in its sale form."""
    patient = _ledger_patient(request, pk)
    permission_require(request.user, "billing.sell_package")
    form = PackageSellForm(request.POST if request.method == "POST" else request.GET, auto_id=PACKAGE_FORM_ID)
    if not form.is_valid():
        return _sale_refused(request, patient, form)
    offering = form.cleaned_data["offering"]
    key = form.cleaned_data["submission_key"]
    try:
        if request.method == "POST" or package_sale_seen(key):
            purchase = package_purchase(actor=request.user, patient=patient, offering=offering, submission_key=key)
            if purchase.replayed:
                messages.success(request, f"{offering.name} was already sold; nothing more was charged.")
            else:
                messages.success(request, f"{offering.name} sold; {money_text(purchase.price)} charged to the account.")
            return redirect("billing:patient_ledger", pk=patient.pk)
        price = package_quote(patient=patient, offering=offering, on=clock.local_now().date())
    except ApplicationError as exc:
        return _sale_refused(request, patient, form, exc)
    context = {"patient": patient, "offering": offering, "price": price, "form": form}
    return render(request, "billing/package_sell_confirm.html", context)


def _sale_refused(request, patient, form, exc: ApplicationError | None = None):
    """The account page again for a sale refused, with at its top what was not done and why. Refused by the form
    (422: no package chosen, or none sold by that name), its sale form as it was sent, the error by the package. By
    the service (409: the patient holds it now, it is no longer sold, it slides and the patient has no class in
    force, the submission sold another package), the account as it now stands: the package chosen on a new sale form,
    a submission of its own."""
    if isinstance(exc, Conflict):
        form = PackageSellForm(initial={"offering": form.cleaned_data["offering"]}, auto_id=PACKAGE_FORM_ID)
        form_refused_focus(form)
        said = f"{SALE_NOT_DONE} {exc.message}"
        return _ledger_page(request, patient, refused=form, not_done=said, status=refusal_status(exc))
    refused_form_ready(form, exc)
    said = refusal_said(SALE_NOT_DONE, form)
    return _ledger_page(request, patient, refused=form, not_done=said, status=form_status(form))


def _package(pk) -> PackagePurchase:
    return get_object_or_404(PackagePurchase.objects.select_related("offering", "patient"), pk=pk)


@login_required
def package_refund_view(request, pk):
    """GET: the unused sessions' credit and how much of it goes back from payments, to confirm. POST: refund; the
    confirmation sent again once it closed the package answers that close (the service tells), not a refusal."""
    purchase = _package(pk)
    patient = _ledger_patient(request, purchase.patient_id)
    permission_require(request.user, "billing.refund_package")
    form = PackageRefundForm(posted(request))

    def refund(data):
        return package_refund(
            actor=request.user, purchase=purchase, reason=data["reason"], submission_key=data["submission_key"]
        )

    if form_call(request, form, refund, _refund_said):
        return redirect("billing:patient_ledger", pk=patient.pk)
    if form.errors:  # refused: the package and the account as they now stand (another close, card refunds made)
        purchase = _package(pk)
    return _refund_page(request, purchase, form)


def _refund_said(closed: PackagePurchase) -> str:
    if closed.replayed:
        return "This package was already closed; nothing more was refunded."
    return "Package closed and its unused sessions credited."


def _refund_page(request, purchase: PackagePurchase, form):
    """The refund's confirmation, with `form` as it was sent and, refused, a summary at its top of why. A package
    no longer active has nothing left to refund: the page says so (409) in place of figures to confirm."""
    patient = purchase.patient
    try:
        package_refund_refusal_raise(purchase=purchase)
    except ApplicationError as exc:
        context = {"patient": patient, "purchase": purchase, "refused": f"Nothing was refunded. {exc.message}"}
        return render(request, "billing/package_refund_confirm.html", context, status=refusal_status(exc))
    if form.errors:
        refused_form_ready(form)
    amount = package_refund_amount(purchase)
    balance = patient_balance(patient=patient)
    owed = max(balance, ZERO)
    context = {
        "patient": patient,
        "purchase": purchase,
        "amount": amount,
        "lowers_balance": min(amount, owed),
        "paid_back": max(amount - owed, ZERO),
        "credit_first": -balance if balance < ZERO and amount > ZERO else None,  # as package_refund refuses it
        "form": form,
        "refused": refusal_said("The package was not closed.", form) if form.errors else "",
    }
    return render(request, "billing/package_refund_confirm.html", context, status=form_status(form))
