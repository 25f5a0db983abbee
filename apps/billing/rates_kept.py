"""The fee configuration in force on a date, kept between requests (`apps.core.kept`).

Every price (a session's charge, a Good Faith Estimate, the public fee quote) needs the sliding-scale schedule in
force with its classes, the poverty guideline and the full fees. Reading them is one query, but one the ORM takes
longer to build than the rest of the public quote, and the rows change only when an admin edits the fees. One value
is kept per date; every save or delete of those rows forgets them all.
"""

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from apps.core.kept import Kept

T = TypeVar("T")

# The shape is raised whenever the kept value changes shape.
_RATES = Kept("billing:rates", shape=2)


def rates_kept(on: dt.date, read: Callable[[], T]) -> T:
    """The configuration in force on `on`: this request's, else the cache's if current, else `read()`."""
    return _RATES.get(read, part=on.isoformat())


def rates_forget() -> None:
    """Forget every kept configuration, now and when the saving transaction commits."""
    _RATES.forget()
