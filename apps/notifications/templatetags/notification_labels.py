"""Staff pages show an outbox row's codes as words: `{% load notification_labels %}{{ m.purpose|purpose_label }}`."""

from django import template

from apps.notifications import labels

register = template.Library()

register.filter("purpose_label", labels.purpose_label)
register.filter("provider_status_label", labels.provider_status_label)
register.simple_tag(labels.confirmation_detail, name="confirmation_detail")
