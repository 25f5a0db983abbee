"""Django's default formats for English, set to the ones every page uses (apps/core/when.py): a date or time left
to the `date` and `time` filters, or shown as it is (the admin's lists), reads as the rest of the product does
("October 19, 2026", "6:00 PM"), not in Django's own style ("Oct. 19, 2026", "6 p.m.")."""

from apps.core.when import CLOCK_FORMAT, DAY_FORMAT, MOMENT_FORMAT

DATE_FORMAT = DAY_FORMAT
TIME_FORMAT = CLOCK_FORMAT
DATETIME_FORMAT = MOMENT_FORMAT
