"""The submission key of a form written out by hand (a refund form on each row of a ledger), new at each use."""

from django import template

from apps.core.forms import RecordedOnceForm

register = template.Library()


@register.simple_tag
def submission_key_input():
    return RecordedOnceForm(auto_id=False)["submission_key"]  # one on each row: no id to repeat
