"""The patient's "Where you are" page in the portal: their rung in plain words, what comes next, and the path so
far (the moves, without the clinician's reasons)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from apps.patients.portal import portal_patient

from . import selectors


@login_required
@require_safe
def where_you_are(request):
    patient = portal_patient(request, "ladder.view_care_level")
    ladder = selectors.care_level_history(user=request.user, patient=patient)
    context = {"step": selectors.next_step(patient=patient, ladder=ladder), "history": ladder.moves}
    return render(request, "ladder/portal/where_you_are.html", context)
