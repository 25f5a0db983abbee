"""What the apps above scheduling add to its pages, without scheduling importing them.

Scheduling sits below notes, programs and billing, yet its pages show what they know: My day and the session page
link each session's note, the booking form and the series preview warn about the patient's own group meetings, the
cancel confirmation states the late-cancel fee, and a booking past a therapist's reduced-fee cap is refused. Each of
those apps provides its hook in its AppConfig.ready(); a hook nobody provides answers as if that app were absent (no
link, no meeting, no fee, no cap).
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Hook:
    """One answer scheduling asks of a higher app: called with keyword arguments, provided once."""

    def __init__(self, name: str, default: Callable[..., Any]) -> None:
        self.name = name
        self._default = default
        self._provider: Callable[..., Any] | None = None

    @property
    def provided(self) -> bool:
        return self._provider is not None

    def provide(self, provider: Callable[..., Any]) -> None:
        # Two apps answering the same question would make the page depend on the order of INSTALLED_APPS.
        if self._provider is not None and self._provider is not provider:
            raise ImproperlyConfigured(f"The scheduling hook {self.name!r} is already provided by {self._provider!r}.")
        self._provider = provider

    def __call__(self, **kwargs):
        return (self._provider or self._default)(**kwargs)


# notes: {appointment id: the link (write, continue or view the note) the user sees}
note_links = Hook("note_links", lambda *, user, appointments: {})
# programs: the patient's own group meetings overlapping any of the (start, end) ranges
group_meetings_during = Hook("group_meetings_during", lambda *, patient, ranges: [])
# programs: the booking form's warning about those meetings, or None
group_meetings_warning = Hook("group_meetings_warning", lambda *, patient, ranges: None)
# billing: the late-cancel charge cancelling this session would post (a billing Price), or None
late_cancel_price = Hook("late_cancel_price", lambda *, appointment: None)

# billing: a new patient for the therapist past their reduced-fee cap is refused (Conflict) unless clinic staff give
# a reason; answers the override reason used, else ""
reduced_fee_cap_enforce = Hook(
    "reduced_fee_cap_enforce",
    lambda *, actor, therapist, patient, override_reason="", exclude_series_id=None: "",
)

HOOKS = (note_links, group_meetings_during, group_meetings_warning, late_cancel_price, reduced_fee_cap_enforce)
