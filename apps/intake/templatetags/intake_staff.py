"""The intake card on the staff patient page: each document's state, and the form to send a packet."""

from django import template

from apps.intake import selectors

register = template.Library()


@register.inclusion_tag("intake/_patient_card.html", takes_context=True)
def patient_intake_card(context, patient):
    user = context["request"].user
    if not user.has_perm("intake.view_packets", patient):
        return {"hidden": True}
    can_send = user.has_perm("intake.send_packet")
    # The patient's rows and the packet form list the same current documents: one read for both.
    current = list(selectors.documents_current(sent_to=patient))
    rows = selectors.patient_documents(patient=patient, current=current)
    signed = {row.document.current_version_id for row in rows if row.is_signed}
    return {
        "patient": patient,
        "rows": rows,
        "can_send": can_send,
        "documents": current if can_send else [],
        "ticked": {d.pk for d in selectors.standard_unsigned(current=current, signed_versions=signed)},
        # Forms waiting for a patient whose portal account is closed never reach them: said on each, and before sending.
        "undeliverable": selectors.forms_undeliverable(patient),
        "closed_account_advice": selectors.CLOSED_ACCOUNT_ADVICE,
        "csrf_token": context.get("csrf_token"),
    }
