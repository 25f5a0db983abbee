"""The clinic's settings row, kept between requests (`apps.core.kept`).

Nearly every page reads the settings row (the menu asks whether the clinic lets patients write to therapists), and
the row changes only when an admin saves it. A queryset's update() sends no signal: whoever changes the row that way
calls `clinic_settings_forget` too.
"""

from collections.abc import Callable
from typing import TypeVar

from .kept import Kept

T = TypeVar("T")

# The shape is raised whenever the model's fields change, so a release never reads what an earlier one kept.
_SETTINGS = Kept("core:clinicsettings", shape=1)


def clinic_settings_kept(read: Callable[[], T]) -> T:
    """The settings row: this request's, else the cache's if current, else `read()`."""
    return _SETTINGS.get(read)


def clinic_settings_forget(**signal_kwargs) -> None:
    """Forget the kept row, now and when the saving transaction commits. Connected to the row's post_save and
    post_delete and to post_migrate (a database made again under the same name starts from a new version)."""
    _SETTINGS.forget()
