"""Staff pages for session packages: selling one on the patient's billing page and refunding what is left of one,
each through a confirmation page that shows the money before anything is posted."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from apps.core import clock
from apps.core.errors import ApplicationError
from apps.core.forms import form_errors_text
from apps.core.money import ZERO, money_text
from apps.core.permissions import permission_require
from apps.core.views import form_status, posted

from .forms import PackageRefundForm, PackageSellForm
from .models import PackagePurchase, PackageStatus
from .selectors.ledger import patient_balance
from .services.packages import (
    package_purchase,
    package_quote,
    package_refund,
    package_refund_amount,
    package_sale_seen,
)
from .views import _ledger_patient


@login_required
def package_sell(request, pk):
    """GET: what the chosen package costs this patient, to confirm. POST: sell it (one charge on the ledger). The
    confirmation reloaded, or reached again by Back, once its sale is made answers that sale instead of asking."""
    patient = _ledger_patient(request, pk)
    permission_require(request.user, "billing.sell_package")
    form = PackageSellForm(request.POST if request.method == "POST" else request.GET)
    back = redirect("billing:patient_ledger", pk=patient.pk)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return back
    offering = form.cleaned_data["offering"]
    key = form.cleaned_data["submission_key"]
    try:
        if request.method == "POST" or package_sale_seen(key):
            purchase = package_purchase(actor=request.user, patient=patient, offering=offering, submission_key=key)
            if purchase.replayed:
                messages.success(request, f"{offering.name} was already sold; nothing more was charged.")
            else:
                messages.success(request, f"{offering.name} sold; {money_text(purchase.price)} charged to the account.")
            return back
        price = package_quote(patient=patient, offering=offering, on=clock.local_now().date())
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return back
    context = {"patient": patient, "offering": offering, "price": price, "form": form}
    return render(request, "billing/package_sell_confirm.html", context)


@login_required
def package_refund_view(request, pk):
    """GET: the unused sessions' credit and how much of it goes back from payments, to confirm. POST: refund; the
    confirmation sent again once it closed the package answers that close (the service tells), not a refusal."""
    purchase = get_object_or_404(PackagePurchase.objects.select_related("offering", "patient"), pk=pk)
    patient = _ledger_patient(request, purchase.patient_id)
    permission_require(request.user, "billing.refund_package")
    form = PackageRefundForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            closed = package_refund(
                actor=request.user, purchase=purchase, reason=data["reason"], submission_key=data["submission_key"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if closed.replayed:
                messages.success(request, "This package was already closed; nothing more was refunded.")
            else:
                messages.success(request, "Package closed and its unused sessions credited.")
        return redirect("billing:patient_ledger", pk=patient.pk)
    if purchase.status != PackageStatus.ACTIVE:
        messages.error(request, f"This package is {purchase.get_status_display().lower()}; nothing is left to refund.")
        return redirect("billing:patient_ledger", pk=patient.pk)
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
    }
    return render(request, "billing/package_refund_confirm.html", context, status=form_status(form))
