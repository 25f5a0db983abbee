"""Times in the record are the clinic's wall clock, with its offset."""

from django.utils import timezone

from apps.core import clock


def local(moment):
    """`moment` in the clinic's time zone; None stays None."""
    return timezone.localtime(moment, clock.clinic_tz()) if moment else None
