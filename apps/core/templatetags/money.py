"""The `money` filter, built into every template (settings TEMPLATES builtins): `{{ fee|money }}` -> $1,200.00."""

from django import template

from apps.core.money import money_text

register = template.Library()


@register.filter(name="money")
def money_filter(value) -> str:
    return money_text(value)
