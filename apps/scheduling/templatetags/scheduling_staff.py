"""The sessions card on the staff chart page: what is coming up for this patient, and quick booking links."""

from django import template

from apps.scheduling import selectors

register = template.Library()


@register.inclusion_tag("scheduling/_patient_sessions_card.html", takes_context=True)
def patient_sessions_card(context, patient):
    user = context["request"].user
    if not user.has_perm("scheduling.view_calendar"):
        return {"show": False}
    return {
        "show": True,
        "patient": patient,
        "appointments": selectors.patient_upcoming_visible(user=user, patient=patient, limit=5),
        "can_book": user.has_perm("scheduling.book_appointment"),
    }
