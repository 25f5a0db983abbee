"""The `phone` filter, built into every template (settings TEMPLATES builtins): `{{ patient.phone|phone }}` ->
(617) 555-0123. Links keep the stored form: `tel:{{ patient.phone }}`."""

from django import template

from apps.core.phones import phone_display

register = template.Library()


@register.filter(name="phone")
def phone_filter(value) -> str:
    return phone_display(value or "")
