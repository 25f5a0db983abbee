"""A patient's place in a program's line on any page: the rule (`place_in_line`) and the one fragment that says it,
to the patient on the portal or about them on the staff chart."""

from django import template

from apps.programs.place_in_line import PlaceInLine
from apps.programs.place_in_line import place_in_line as place_of

register = template.Library()


@register.filter
def place_in_line(enrollment) -> PlaceInLine | None:
    """The enrollment's place in line (interest list or waitlist, and rank), None when it is not waiting."""
    return place_of(enrollment)


@register.inclusion_tag("programs/_place_in_line.html")
def place_in_line_said(enrollment, to_patient=False):
    """ "you are #2 on the waitlist" to the patient, "#2 on the waitlist" on the chart."""
    return {"place": place_of(enrollment), "to_patient": to_patient}
