"""{% load form_errors %}: where a refused form's error summary points."""

from django import template

register = template.Library()


@register.filter
def first_error_anchor(form) -> str:
    """The id of the first input of the first field in error ("id_item_4_0" for a radio group or ticks, "id_session"
    for a list to choose from, whose options have no ids), for the summary's link; "" when no field has an error."""
    field = next((field for field in form.visible_fields() if field.errors), None)
    if field is None:
        return ""
    if field.id_for_label:
        return field.id_for_label
    return field.subwidgets[0].id_for_label if field.subwidgets else ""
