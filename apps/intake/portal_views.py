"""Patient pages: the forms to complete, signing one, and reading what was signed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError, NotFound
from apps.core.forms import FORM_REFUSED_STATUS
from apps.core.views import refusal_status
from apps.notes.content import content_from_form
from apps.notes.editor import field_rows
from apps.patients.portal import portal_patient

from . import selectors, services
from .models import DocumentVersion


@login_required
@require_safe
def packet(request):
    patient = portal_patient(request, "intake.sign")
    rows = [row for row in selectors.patient_documents(patient=patient) if row.asked]
    context = {
        "outstanding": [row for row in rows if not row.is_signed],
        "signed": [row for row in rows if row.is_signed],
    }
    return render(request, "intake/portal/packet.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def document_sign(request, document_id):
    patient = portal_patient(request, "intake.sign")
    row = next((r for r in selectors.patient_documents(patient=patient) if r.document.pk == document_id), None)
    if row is None or not row.asked:
        raise Http404("No such form.")
    if row.is_signed:
        # Signed at the version in force: the link (an email, Back) opens what was signed, never an empty form, and
        # a second signing is answered with the signature that stands rather than dropped out of sight.
        return _signed_page(request, row.signature, signed_again=request.method == "POST")
    version = row.document.current_version
    content, errors, error, status = {}, {}, "", 200
    if request.method == "POST":
        if version.fields:
            content = content_from_form(fields=version.fields, data=request.POST)
        version_id = id_or_none(request.POST.get("version"))
        signed_version = (
            DocumentVersion.objects.filter(pk=version_id, document=row.document).first()
            if version_id is not None
            else None
        )
        if signed_version is None:
            error = "This form was not sent with the page. Please reload it and sign again."
            status = FORM_REFUSED_STATUS
        else:
            try:
                signature, created = services.document_sign(
                    actor=request.user,
                    patient=patient,
                    version=signed_version,
                    shown_sha256=request.POST.get("shown_sha256", ""),
                    typed_name=request.POST.get("typed_name", ""),
                    answers=content,
                )
            except ApplicationError as exc:
                error, errors, status = exc.message, exc.fields, refusal_status(exc)
            else:
                if not created:  # a second submit of the same page: the first one signed
                    return _signed_page(request, signature, signed_again=True)
                messages.success(request, f"Signed: {row.document.title}.")
                return redirect("portal:intake:packet")
    context = {
        "document": row.document,
        "version": version,
        "previously_signed": row.signature,
        "renewing": row.needs_renewal,
        "updated": row.needs_new_signature,
        "rows": field_rows(fields=version.fields, content=content, errors=errors) if version.fields else [],
        "error": error,
        "error_anchor": _first_error_anchor(version.fields or [], errors),
        "error_detail": "" if error.rstrip(".").lower() == SUMMARY_TITLE.lower() else error,
        "name_error": errors.get("typed_name"),
        "typed_name": request.POST.get("typed_name", ""),
    }
    return render(request, "intake/portal/sign.html", context, status=status)


# The title of the error summary (_error_summary.html), which a refusal saying only that need not repeat.
SUMMARY_TITLE = "Some answers need attention"


def _first_error_anchor(fields: list[dict], errors: dict) -> str:
    """The id of the first answer in error, in the form's order (the typed name comes last), for the summary's link."""
    key = next((field["key"] for field in fields if errors.get(field["key"])), None)
    if key is not None:
        return f"field-{key}"
    return "typed_name" if errors.get("typed_name") else ""


def _signed_page(request, signature, *, signed_again: bool):
    """The signed form as the patient reads it, saying when they signed it; for a second signing (409), that nothing
    new was saved."""
    context = {
        **selectors.signature_context(signature=signature, user=request.user),
        "signed_notice": "again" if signed_again else "signed",
    }
    return render(request, "intake/portal/signature.html", context, status=409 if signed_again else 200)


@login_required
@require_safe
def signature_detail(request, pk):
    patient = portal_patient(request, "intake.sign")
    try:
        signature = selectors.signature_get_for(user=request.user, pk=pk)
    except NotFound as exc:  # another patient's form: a refusal, logged by the selector
        raise Http404("No such signed form.") from exc
    if signature.patient_id != patient.pk:
        raise Http404("No such signed form.")
    return render(
        request, "intake/portal/signature.html", selectors.signature_context(signature=signature, user=request.user)
    )
