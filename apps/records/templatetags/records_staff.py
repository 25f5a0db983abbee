"""The records request's PDF on the patient's page: ask for it, see it being prepared, download it when ready."""

from django import template

from apps.records.views import records_request_context

register = template.Library()


@register.inclusion_tag("records/_records_request.html", takes_context=True)
def records_request_card(context, patient):
    """Only for whoever answers records requests (administrators); nobody else's page reads anything for it."""
    if not context["request"].user.has_perm("records.export_for_patient"):
        return {"visible": False}
    return {
        "visible": True,
        "patient": None,  # staff read times on the page's clock, not as a patient is told them
        "chart": patient,
        "csrf_token": context.get("csrf_token"),
        **records_request_context(patient=patient),
    }
