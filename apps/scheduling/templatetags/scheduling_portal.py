from django import template

from apps.core.time_zones import patient_when_text, zone_or_none
from apps.scheduling import selectors

register = template.Library()


@register.inclusion_tag("scheduling/portal/_next_session_card.html")
def next_session_card(patient):
    """The portal home's card: the next session, its video link if remote, and a link to all sessions."""
    return {"appointment": selectors.patient_next_session(patient=patient), "patient": patient}


@register.simple_tag
def session_when(appointment, patient=None, day_format="l, F j"):
    """When a session is, as its patient (or a visitor to the public pages) reads it: wall-clock time at its
    location, naming that clock, and "(… your time)" when the patient set a zone that differs. `patient` is the
    reader (a group meeting has none of its own)."""
    reader = patient or appointment.patient
    return patient_when_text(
        appointment.start,
        zone=appointment.zone,
        reader_zone=zone_or_none(reader.time_zone) if reader is not None else None,
        day_format=day_format,
    )
