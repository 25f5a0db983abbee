"""Note pages for therapists: the unsigned queue, the note editor (htmx autosave), signing,
co-signing, addenda and the author's private process note for a session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.selectors import staff_member, supervisees_practising
from apps.core import clock, errors
from apps.core.errors import ApplicationError, NotFound
from apps.core.views import form_call, form_refusal, form_status, posted
from apps.scheduling.models import Appointment

from . import plan_selectors, selectors, services
from .content import content_from_form
from .editor import field_rows, template_sections
from .forms import AddendumForm, CosignForm, CosignHandOverForm, ProcessNoteForm, SignForm, StartNoteForm
from .models import NoteStatus


def _note_for(request, pk, *, perm: str, action: str):
    try:
        return selectors.note_get_for_action(user=request.user, note_id=pk, perm=perm, action=action)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


def _own_session(request, appointment_id) -> Appointment:
    action = "note_view" if request.method == "GET" else "note_create"
    try:
        return selectors.note_session_get(user=request.user, appointment_id=appointment_id, action=action)
    except NotFound as exc:  # a refusal, logged by the selector
        raise Http404(exc.message) from exc


def _process_note_session(request, appointment_id, *, action: str) -> Appointment:
    try:
        return selectors.process_note_session_get(user=request.user, appointment_id=appointment_id, action=action)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_safe
def unsigned_queue(request):
    if not request.user.has_perm("notes.view_unsigned_queue"):
        raise PermissionDenied
    sessions = list(selectors.sessions_needing_notes(therapist=request.user))
    rows = [
        {"appointment": a, "note": getattr(a, "session_note", None), "overdue": selectors.is_overdue(a)}
        for a in sessions
    ]
    context = {
        "rows": rows,
        "overdue_count": sum(row["overdue"] for row in rows),
        "to_cosign": _cosign_rows(selectors.notes_awaiting_cosign(supervisor=request.user)),
        "awaiting_cosign": _cosign_rows(selectors.notes_awaiting_cosign_of(author=request.user)),
        "plans_review_due": list(plan_selectors.plan_review_due(therapist=request.user)),
        # Sessions at the clinic's own offices name no clock; the page names it once, as the home page does.
        "clinic_zone": clock.clinic_tz(),
    }
    return render(request, "notes/unsigned.html", context)


def _cosign_rows(notes) -> list[dict]:
    return [{"note": note, "overdue": selectors.cosign_is_overdue(note)} for note in notes]


@login_required
@require_http_methods(["GET", "POST"])
def session_note(request, appointment_id):
    """Open the session's note, or start one from a template."""
    appointment = Appointment.objects.filter(pk=appointment_id).select_related("patient", "service_type").first()
    if appointment is None:
        raise Http404("No such session.")
    existing = selectors.notes_visible_to(user=request.user).filter(appointment=appointment).first()
    if existing is not None:
        return redirect("notes:detail", pk=existing.pk)
    appointment = _own_session(request, appointment_id)
    default = selectors.note_template_default(appointment=appointment)
    form = StartNoteForm(posted(request), initial={"template": default}, appointment=appointment)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.note_create(
                actor=request.user, appointment=appointment, template=form.cleaned_data["template"], content={}
            )
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            return redirect("notes:detail", pk=note.pk)
    context = {
        "form": form,
        "appointment": appointment,
        "keeps_process_notes": request.user.has_perm("notes.add_process_note"),
    }
    return render(request, "notes/start.html", context, status=form_status(form))


def _editor_context(
    request, note, *, content: dict, addenda=(), errors=None, sign_form=None, cosign_form=None, addendum_form=None
) -> dict:
    user = request.user
    editable = note.status == NoteStatus.DRAFT and user.has_perm("notes.change_note", note)
    return {
        "note": note,
        "appointment": note.appointment,
        "patient": note.patient,
        "rows": field_rows(fields=note.template.fields, content=content, errors=errors),
        "addenda": addenda,
        "editable": editable,
        "can_cosign": note.awaiting_cosign and user.has_perm("notes.cosign_note", note),
        "cosign_form": cosign_form or CosignForm(),
        "can_add_addendum": user.has_perm("notes.add_addendum", note),
        "addendum_form": addendum_form or AddendumForm(),
        "is_author": note.author_id == user.pk,
        "keeps_process_notes": user.has_perm("notes.add_process_note"),
        "can_open_chart": user.has_perm("notes.view_clinical_chart", note.patient),
        "session_started": note.appointment.start <= clock.now(),
        "sign_form": sign_form or SignForm(),
        # Named in the sign box, so a pre-licensed author knows who the signed note goes to next.
        "cosigner_on_signing": selectors.note_cosigner_for(author=user) if editable else None,
        "locked_sections": template_sections(note.template.fields),
    }


@login_required
@require_http_methods(["GET", "POST"])
def note_detail(request, pk):
    """Read a note; its author edits the draft here (POST saves, the Sign button saves and signs). A HEAD is answered
    as the GET, without its body, and leaves no read in the access log (audit.head_requests rolls it back)."""
    if request.method == "GET":
        try:
            opened = selectors.note_open(user=request.user, note_id=pk)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        context = _editor_context(request, opened.note, content=opened.content, addenda=opened.addenda)
        return render(request, "notes/note.html", context)
    note = _note_for(request, pk, perm="notes.change_note", action="note_update")
    content = content_from_form(fields=note.template.fields, data=request.POST)
    signing = "sign" in request.POST
    sign_form = SignForm(request.POST if signing else None)
    try:
        if signing:
            attest = sign_form.is_valid() and sign_form.cleaned_data["attest"]
            note = services.note_save_and_sign(actor=request.user, note=note, content=content, attest=attest)
        else:
            services.note_update_draft(actor=request.user, note=note, content=content)
    except ApplicationError as exc:
        # A refused signature keeps the saved answers; a refused save keeps nothing, and the page must say so, for
        # the answers are still on screen and would be lost on leaving it.
        not_saved = not signing or isinstance(exc, services.DraftRefused)
        messages.error(request, f"Draft not saved: {exc.message}" if not_saved else exc.message)
        for error in exc.fields.get("attest", []):
            sign_form.add_error("attest", error)
        context = _editor_context(request, note, content=content, errors=exc.fields, sign_form=sign_form)
        context["problem"] = _refusal_summary(note, exc) if not_saved else None
        return render(request, "notes/note.html", context, status=422)
    messages.success(request, _saved_message(note) if signing else "Draft saved.")
    return redirect("notes:detail", pk=note.pk)


def _saved_message(note) -> str:
    # A pre-licensed author's note is not final yet: say who has it now, so they know where to look for it.
    if note.cosigner_id is None:
        return "Note signed."
    return f"Note signed and sent to {note.cosigner.full_name} for co-signature."


def _refusal_summary(note, exc: ApplicationError) -> str:
    """A refused save in one line, naming the answers to fix: what the status beside the Save draft button says."""
    fields = ", ".join(
        row["field"]["label"]
        for row in field_rows(fields=note.template.fields, content={}, errors=exc.fields)
        if row["errors"]
    )
    return f"{exc.message} {fields}".strip()


@login_required
@require_POST
def note_autosave(request, pk):
    """htmx: save the draft as the therapist types; answers with a one-line status."""
    note = _note_for(request, pk, perm="notes.change_note", action="note_update")
    content = content_from_form(fields=note.template.fields, data=request.POST)
    context = {"saved_at": None, "problem": None}
    try:
        services.note_update_draft(actor=request.user, note=note, content=content)
    except ApplicationError as exc:
        context["problem"] = _refusal_summary(note, exc)
    else:
        context["saved_at"] = clock.local_now()
    return render(request, "notes/_autosave_status.html", context)


@login_required
@require_POST
def note_cosign(request, pk):
    note = _note_for(request, pk, perm="notes.cosign_note", action="note_cosign")
    form = CosignForm(request.POST)
    attest = form.is_valid() and form.cleaned_data["attest"]
    try:
        services.note_cosign(actor=request.user, note=note, attest=attest)
    except ApplicationError as exc:
        # The note is shown again (a read, logged as one) with the refusal on the box, at the foot of a long note.
        messages.error(request, exc.message)
        for error in exc.fields.get("attest", []):
            form.add_error("attest", error)
        opened = selectors.note_open(user=request.user, note_id=note.pk)
        context = _editor_context(
            request, opened.note, content=opened.content, addenda=opened.addenda, cosign_form=form
        )
        return render(request, "notes/note.html", context, status=422)
    messages.success(request, "Note co-signed.")
    return redirect("notes:detail", pk=note.pk)


@login_required
@require_POST
def addendum_create(request, pk):
    note = _note_for(request, pk, perm="notes.add_addendum", action="addendum_add")
    form = AddendumForm(request.POST)
    if form_call(
        request,
        form,
        lambda data: services.addendum_add(actor=request.user, note=note, text=data["text"]),
        "Addendum added.",
    ):
        return redirect("notes:detail", pk=note.pk)
    # Refused: the note is shown again (a read, logged as one) with the summary at its top and the text as typed.
    opened = selectors.note_open(user=request.user, note_id=note.pk)
    context = _editor_context(request, opened.note, content=opened.content, addenda=opened.addenda, addendum_form=form)
    return render(request, "notes/note.html", context, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def process_note(request, appointment_id):
    """The author's private process note for one of their sessions (psychotherapists only)."""
    action = "process_note_view" if request.method == "GET" else "process_note_update"
    appointment = _process_note_session(request, appointment_id, action=action)
    existing, text = selectors.process_note_for_appointment(user=request.user, appointment=appointment)
    form = ProcessNoteForm(posted(request), initial={"text": text})
    if request.method == "POST" and form.is_valid():
        try:
            if existing is None:
                services.process_note_create(
                    actor=request.user,
                    patient=appointment.patient,
                    appointment=appointment,
                    text=form.cleaned_data["text"],
                )
            else:
                services.process_note_update(actor=request.user, process_note=existing, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, "Process note saved.")
            return redirect("notes:process_note", appointment_id=appointment.pk)
    context = {"form": form, "appointment": appointment, "existing": existing}
    return render(request, "notes/process_note.html", context, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def process_note_delete(request, appointment_id):
    """GET asks to confirm, for a deleted process note is gone for good (it has no history); POST deletes."""
    appointment = _process_note_session(request, appointment_id, action="process_note_delete")
    existing, _text = selectors.process_note_for_appointment(user=request.user, appointment=appointment)
    if existing is None:
        raise Http404("No process note.")
    if request.method == "GET":
        return render(request, "notes/process_note_delete.html", {"appointment": appointment})
    services.process_note_delete(actor=request.user, process_note=existing)
    messages.success(request, "Process note deleted.")
    return redirect("notes:session", appointment_id=appointment.pk)


def cosigns_hand_over_section(*, request, member) -> str:
    """The staff page's section for a supervisor whose co-signature notes await: how many, the form that hands
    them to another supervisor (accounts shows it, extensions.staff_page_sections), and what it leaves as it is: the
    therapists they supervise keep them as supervisor until each is named another."""
    count = selectors.cosigns_awaiting_count(supervisor=member)
    if not count:
        return ""
    context = {
        "member": member,
        "count": count,
        "form": CosignHandOverForm(supervisor=member),
        "supervisees": supervisees_practising(supervisor=member),
    }
    return render_to_string("notes/_cosigns_hand_over_section.html", context, request=request)


@login_required
@require_POST
def cosigns_hand_over(request, pk):
    """Hand the notes awaiting a staff member's co-signature to another supervisor, from their staff page. The form's
    post asks first (a page saying what it does); only the confirmation's post hands them over. A choice that does not
    parse or that the service refuses comes back with the reason on the field (422, or 409: `form_status`)."""
    if not request.user.has_perm("accounts.manage_users"):
        raise PermissionDenied
    supervisor = staff_member(user_id=pk)
    if supervisor is None:
        raise Http404
    form = CosignHandOverForm(request.POST, supervisor=supervisor)
    if form.is_valid() and request.POST.get("confirmed") == "yes":
        successor = form.cleaned_data["successor"]
        try:
            moved = services.note_cosigns_hand_over(actor=request.user, supervisor=supervisor, successor=successor)
        except ApplicationError as exc:
            form_refusal(form, exc)
        else:
            messages.success(
                request, f"{moved} note{'s now await' if moved != 1 else ' now awaits'} {successor}'s co-signature."
            )
            return redirect("accounts:staff_detail", pk=supervisor.pk)
    context = {
        "member": supervisor,
        "count": selectors.cosigns_awaiting_count(supervisor=supervisor),
        "form": form,
        "asking": not form.errors,
        "supervisees": supervisees_practising(supervisor=supervisor),
    }
    return render(request, "notes/cosigns_hand_over.html", context, status=form_status(form))
