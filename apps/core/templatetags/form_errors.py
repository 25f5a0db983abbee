"""{% load form_errors %}: where a refused form's error summary points, and what it says."""

from django import template

from apps.core.forms import form_errors_text

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


@register.filter
def errors_text(form) -> str:
    """All of a form's errors in one line, each named by its field's label (`form_errors_text`): for a summary shown
    where the fields beside their errors are not, as when htmx swaps only the rows below a filter form."""
    return form_errors_text(form)
