"""What the apps above accounts do when a staff member leaves, without accounts importing them.

Scheduling stops the therapist's calendar feed links, so their schedule stops reaching a calendar they may no longer
control, and reactivating them does not bring an old link back (they issue a new one). Each app appends its reaction
in its AppConfig.ready(); they run in the deactivation's transaction, under its lock on the user's row.
"""

from collections.abc import Callable

# Each is called with the keyword arguments actor and user (already deactivated, its row locked).
staff_deactivated: list[Callable[..., None]] = []


def staff_deactivated_register(reaction: Callable[..., None]) -> None:
    if reaction not in staff_deactivated:
        staff_deactivated.append(reaction)
