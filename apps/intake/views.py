"""Staff pages: patients with forms outstanding, sending a packet, a signed document, and managing documents."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError, NotFound
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.permissions import permission_require
from apps.core.views import call_with_messages, form_call, posted, refusal_status
from apps.patients.selectors import patients_visible_to

from . import selectors, services
from .forms import PublishForm, RiskAnswersForm
from .models import AnswerFlag, DocumentKind, IntakeDocument


@login_required
@require_safe
def outstanding(request):
    permission_require(request.user, "intake.list_outstanding")
    patients = list(selectors.patients_with_outstanding())
    return render(request, "intake/outstanding.html", {"patients": patients})


@login_required
@require_POST
def packet_send(request, patient_id):
    permission_require(request.user, "intake.send_packet")
    patient = get_object_or_404(patients_visible_to(user=request.user), pk=patient_id)
    chosen = [pk for pk in map(id_or_none, request.POST.getlist("documents")) if pk is not None]
    try:
        packet = services.packet_send(
            actor=request.user, patient=patient, documents=list(IntakeDocument.objects.filter(pk__in=chosen))
        )
    except ApplicationError as exc:
        return _packet_refused(request, patient, chosen, exc)
    notice = selectors.packet_notice(packet=packet, patient=patient)
    # The patient page this returns to opens with the portal invitation (or says why it cannot be sent).
    invite = " Invite them from the top of this page." if notice.invite_needed else ""
    (messages.warning if notice.undelivered else messages.success)(request, notice.text + invite)
    return redirect("patients:detail", pk=patient.pk)


def _packet_refused(request, patient, chosen: list[int], exc: ApplicationError):
    """A send refused: the card's form on a page of its own (as a care-level move or a clearance refused comes back),
    the documents chosen still ticked, why nothing was sent at its top, answering the refusal's status (422 for a
    choice that is no packet: nothing chosen, or a document retired meanwhile)."""
    context = {
        "patient": patient,
        "documents": list(selectors.documents_current()),
        "ticked": set(chosen),
        "undeliverable": selectors.forms_undeliverable(patient),
        "closed_account_advice": selectors.CLOSED_ACCOUNT_ADVICE,
        "refused": f"No forms were sent. {exc.message}",
    }
    return render(request, "intake/packet_send.html", context, status=refusal_status(exc))


@login_required
@require_safe
def signature_detail(request, pk):
    try:
        signature = selectors.signature_open(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = selectors.signature_context(signature=signature, user=request.user)
    # The clinical chart's "Needs review" links here, and the answer is marked reviewed back on the chart.
    context["can_open_chart"] = request.user.has_perm("notes.view_clinical_chart", signature.patient)
    return render(request, "intake/signature.html", context)


@login_required
@require_safe
def documents(request):
    permission_require(request.user, "intake.manage_documents")
    return render(request, "intake/documents.html", {"documents": selectors.documents_all()})


@login_required
@require_http_methods(["GET", "POST"])
def document_detail(request, pk):
    permission_require(request.user, "intake.manage_documents")
    document = get_object_or_404(IntakeDocument.objects.select_related("current_version"), pk=pk)
    current = document.current_version
    initial = {"body": current.body if current else ""}
    if document.is_questionnaire:
        initial["fields_json"] = json.dumps(current.fields if current else [], indent=2)
    form = PublishForm(posted(request), document=document, initial=initial)
    status = 200
    if form.is_bound:
        status = FORM_REFUSED_STATUS
        if form.is_valid():
            try:
                version = services.document_publish(
                    actor=request.user,
                    document=document,
                    body=form.cleaned_data["body"],
                    fields=form.cleaned_data.get("fields_json") or [],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                for key, errors in exc.fields.items():
                    target = "fields_json" if key == "fields" else key
                    for error in errors:
                        form.add_error(target if target in form.fields else None, error)
                status = refusal_status(exc)
            else:
                messages.success(request, f"Published version {version.number} of {document.title}.")
                return redirect("intake:document_detail", pk=document.pk)
    context = {
        "document": document,
        "form": form,
        "versions": selectors.document_versions(document=document),
        "risk_questions": selectors.risk_questions(document=document),
        "risk_answers_not_asked": selectors.risk_answers_not_asked(document=document),
    }
    return render(request, "intake/document.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def document_risk_answers(request, pk):
    """Which of the questionnaire's answers raise a flag for the patient's psychotherapists."""
    permission_require(request.user, "intake.manage_documents")
    document = get_object_or_404(
        IntakeDocument.objects.select_related("current_version"), pk=pk, kind=DocumentKind.QUESTIONNAIRE
    )
    questions = selectors.risk_questions(document=document)
    # Unticking every box sends an empty form, which is still an answer.
    form = RiskAnswersForm(request.POST if request.method == "POST" else None, questions=questions)
    saved = form_call(
        request,
        form,
        lambda _: services.document_risk_answers_set(
            actor=request.user, document=document, risk_answers=form.risk_answers()
        ),
        "Saved: the answers ticked raise a flag from the next questionnaire signed.",
    )
    if saved:
        return redirect("intake:document_detail", pk=document.pk)
    context = {
        "document": document,
        "form": form,
        "risk_answers_not_asked": selectors.risk_answers_not_asked(document=document),
    }
    status = FORM_REFUSED_STATUS if request.method == "POST" else 200
    return render(request, "intake/risk_answers.html", context, status=status)


@login_required
@require_POST
def answer_flag_review(request, pk):
    """Asks first, as the PHQ-9 flag's review does (outcomes.views.flag_review): reviewing cannot be undone."""
    flag = AnswerFlag.objects.select_related("patient").filter(pk=pk).first()
    if flag is None or not request.user.has_perm("intake.review_flag", flag):
        raise Http404("No such answer.")
    if request.POST.get("confirmed") != "yes":
        context = {
            "heading": "Mark this risk answer reviewed?",
            "what": "Intake questionnaire signed",
            "on": flag.raised_at,
            "patient": flag.patient,
            "action": request.path,
        }
        return render(request, "frontdesk/flag_review_confirm.html", context)
    call_with_messages(
        request, lambda: services.answer_flag_review(actor=request.user, flag=flag), "Marked as reviewed."
    )
    return redirect("notes:chart", patient_id=flag.patient_id)
