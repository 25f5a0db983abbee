"""Portal page pieces for booking and moving sessions online."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from apps.core.time_zones import patient_when_text, your_time_text, zone_or_none
from apps.core.when import clock_text
from apps.selfbooking import offers, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def move_online(context, appointment) -> offers.MoveOnline:
    """{% move_online session as move %}: whether the patient can move it online now, or it is too close to."""
    return offers.move_online(user=context["request"].user, appointment=appointment)


@register.simple_tag
def booking_offered(patient) -> bool:
    """{% booking_offered patient as book_online %}: whether the Book page has a first session to book or move for
    the patient (the menu asked already: no query more)."""
    return selectors.booking_offered(patient=patient)


@register.simple_tag
def offered_time(slot, patient, clock_said) -> str:
    """A free time's button on the week page: its clock time, naming its clock unless the page said it once
    (`clock_said`), and "(6:00 AM your time)" for a patient whose own clock reads otherwise, in the words every
    patient-facing time uses (`time_zones.patient_when_text`). Returns escaped HTML."""
    reader_zone = zone_or_none(patient.time_zone)
    if not clock_said:
        return patient_when_text(slot.start, zone=slot.zone, reader_zone=reader_zone, day_format="")
    local = timezone.localtime(slot.start, slot.zone)
    theirs = your_time_text(slot.start, zone=slot.zone, reader_zone=reader_zone)
    if not theirs:
        return clock_text(local)
    # Their own time on a line of its own (portal.css), so a column of buttons stays short and even on a phone.
    return format_html('{}<small class="theirs">{}</small>', clock_text(local), theirs)
