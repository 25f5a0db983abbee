"""The care level card on the staff chart pages (the front desk's patient page and the therapist's clinical chart):
the level, since when, what comes next, the history of moves and the form to move the patient."""

from django import template

from apps.ladder import selectors
from apps.ladder.forms import CareLevelMoveForm

register = template.Library()


@register.inclusion_tag("ladder/_chart_card.html", takes_context=True)
def care_level_card(context, patient):
    request = context["request"]
    user = request.user
    if not user.has_perm("ladder.view_care_level", patient):
        return {"visible": False}
    shows_reasons = selectors.care_level_reasons_shown(user=user, patient=patient)
    # The chart page that shows the card has logged its own read of the patient.
    ladder = selectors.care_ladder_read(patient=patient, reasons=shows_reasons)
    step = selectors.next_step(patient=patient, ladder=ladder)
    return {
        "visible": True,
        "patient": patient,
        "step": step,
        "history": ladder.moves,
        "shows_reasons": shows_reasons,
        "can_move": patient.is_in_care and user.has_perm("ladder.move_care_level", patient),
        "form": CareLevelMoveForm(current=step.level, auto_id="care_%s"),
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
