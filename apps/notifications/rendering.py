"""Turning an outbox row into the words that are sent."""

from django.conf import settings
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template

from apps.core.models import ClinicSettings

from .channels import Rendered

TEMPLATE_DIR = "notifications/messages"


def _render_plain(name: str, context: dict) -> str:
    # Plain text and SMS are not HTML: a name like O'Brien must not arrive as O&#x27;Brien.
    return get_template(name).template.render(Context(context, autoescape=False))


def message_render(*, template: str, context: dict, channel: str, clinic: ClinicSettings | None = None) -> Rendered:
    """Render a message from its template name and its stored context. A caller rendering many messages at once (a
    send task's batch) passes the clinic's settings, read once for them all.

    The convention every app follows when it queues a message with `message_enqueue`:

    - `context` holds only JSON plain values: ids, names, ISO 8601 datetimes, absolute URLs. Never
      clinical text (no diagnoses, note content, scores, questionnaire answers): messages leave the
      clinic's systems. Format datetimes in the template with the `clinic_time` filter
      (`{% load notification_format %}{{ start|clinic_time|date:"l, F j, g:i A" }}`), which shows them
      in the clinic's time zone; a session's time with `{% session_when start time_zone patient_time_zone %}`
      (its location's zone, and the patient's own time when they set another zone).
    - Templates live in templates/notifications/messages/:
      `<template>.subject.txt` (one line), `<template>.txt` (plain-text email body),
      `<template>.html` (HTML email body; may extend "notifications/messages/_email_base.html"),
      `<template>.sms.txt` (a text message, kept short). Email needs the first two; the HTML part is
      optional and SMS needs only the last.
    - Every template also gets `clinic` (ClinicSettings.load()): its name, phone, address, email; and
      `reply_to`, the address replies to an email reach (`reply_to_address`), empty when there is none:
      an email asks the patient to reply only `{% if reply_to %}`.
    """
    clinic = clinic or ClinicSettings.load()
    reply_to = reply_to_address(clinic)
    data = {**context, "clinic": clinic, "reply_to": reply_to}
    base = f"{TEMPLATE_DIR}/{template}"
    if channel == "sms":
        return Rendered(subject="", text="", html="", sms=" ".join(_render_plain(f"{base}.sms.txt", data).split()))
    subject = " ".join(_render_plain(f"{base}.subject.txt", data).split())
    text = _render_plain(f"{base}.txt", data).strip() + "\n"
    try:
        html = get_template(f"{base}.html").render(data)
    except TemplateDoesNotExist:
        html = ""
    return Rendered(subject=subject, text=text, html=html, sms="", reply_to=reply_to)


def reply_to_address(clinic: ClinicSettings) -> str:
    """Where a patient's reply to an email goes: CLINIC_REPLY_TO_EMAIL, else the clinic's contact email, else
    nowhere (emails come from DEFAULT_FROM_EMAIL, typically a no-reply address). The email's Reply-To header and
    its words both follow this, so an email never asks for a reply that nobody would read."""
    return settings.CLINIC_REPLY_TO_EMAIL or clinic.email
