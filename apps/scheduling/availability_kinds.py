"""The two kinds of a therapist's availability, working hours and time off, as the pages and the API handle them."""

from collections.abc import Callable
from dataclasses import dataclass

from . import selectors, services
from .forms import TimeOffForm, WorkingHoursForm


@dataclass(frozen=True)
class AvailabilityKind:
    """Working hours or time off: how the pages and the API find, save and delete one."""

    label: str
    noun: str  # the services' keyword for the record
    form: type
    visible: Callable
    save: Callable
    delete: Callable


KINDS = {
    "hours": AvailabilityKind(
        label="working hours",
        noun="working_hours",
        form=WorkingHoursForm,
        visible=selectors.working_hours_visible_to,
        save=services.working_hours_save,
        delete=services.working_hours_delete,
    ),
    "time-off": AvailabilityKind(
        label="time off",
        noun="time_off",
        form=TimeOffForm,
        visible=selectors.time_off_visible_to,
        save=services.time_off_save,
        delete=services.time_off_delete,
    ),
}
