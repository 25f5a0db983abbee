from decimal import Decimal

from django import template

from apps.billing import pricing
from apps.billing.payments import online_card_payments
from apps.billing.selectors.ledger import patient_balance
from apps.core.money import money_text
from apps.notifications.templatetags import notification_format

register = template.Library()


@register.filter
def balance_words(value) -> str:
    """A balance as a person reads it: 1050 -> "$1,050.00 owed"; -3950 -> "$3,950.00 credit on account"."""
    amount = Decimal(value)
    if amount < 0:
        return f"{money_text(-amount)} credit on account"
    return f"{money_text(amount)} owed" if amount else money_text(0)


@register.filter
def balance_cell(value) -> str:
    """A balance in a ledger's *Balance* column, kept short: 85 -> "$85.00"; -20 -> "$20.00 credit" (a credit
    reads as a credit, as `balance_words` says it, never as a minus sign)."""
    amount = Decimal(value)
    return f"{money_text(-amount)} credit" if amount < 0 else money_text(amount)


@register.inclusion_tag("billing/portal/_dashboard_card.html")
def billing_dashboard_card(patient, balance):
    """The portal home's billing card: the balance (`selectors.ledger.with_patient_balance`, read by the page with
    its other figures) with a pay button, and the patient's current fee."""
    card = pricing.patient_fee_card(patient=patient)
    return {
        "balance": balance,
        "online_card_payments": online_card_payments(),
        "current_class": card["class_label"],
        "fees": card["services"],
    }


@register.inclusion_tag("billing/portal/_fee_summary.html")
def billing_fee_summary(patient):
    """One line for patient pages about sessions: their fee per session, the same list the billing page shows, and
    for a late cancellation or no-show."""
    return pricing.patient_fee_card(patient=patient)


@register.inclusion_tag("billing/_patient_class.html", takes_context=True)
def billing_patient_class(context, patient):
    """On a chart: the patient's fee class (never income) for staff allowed to see it, and the balance for those
    who see ledgers."""
    user = context["request"].user
    return {
        "patient": patient,
        "show_class": user.has_perm("billing.view_class", patient),
        "current_class": pricing.patient_class_label(patient=patient),
        "show_balance": user.has_perm("billing.list_balances"),
        "balance": patient_balance(patient=patient) if user.has_perm("billing.list_balances") else None,
    }


# Billing's message templates read dates from the outbox's ISO strings as every message template does.
register.filter("iso_date", notification_format.iso_date)
