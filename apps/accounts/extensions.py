"""What the apps above accounts do when a staff member leaves, and what they say against a change to a therapist's
profile, without accounts importing them.

Scheduling stops the therapist's calendar feed links, so their schedule stops reaching a calendar they may no longer
control, and reactivating them does not bring an old link back (they issue a new one); the same when a staff member
keeps their account but loses the therapist role. Each app appends its reaction
in its AppConfig.ready(); they run in the deactivation's transaction, under its lock on the user's row.

A therapist's discipline decides which notes they read, so notes says a therapist who has written notes keeps the
discipline they wrote them in. Billing counts the reduced-fee patients a therapist carries, as its cap does, and says
a cap below that count cannot be set. They are asked in the profile change's transaction, under its lock on the
therapist's rows.

A supervisor co-signs the notes their pre-licensed therapists signed, so notes says a supervisor with notes still
awaiting their co-signature cannot stop being able to co-sign (deactivated, no longer a therapist, pre-licensed)
until those notes are handed to another supervisor. It is asked under the staff-changes lock. The hand-over itself
is a section notes adds to the supervisor's staff page.
"""

from collections.abc import Callable

# Each is called with the keyword arguments actor and user (already deactivated, its row locked).
staff_deactivated: list[Callable[..., None]] = []


def staff_deactivated_register(reaction: Callable[..., None]) -> None:
    if reaction not in staff_deactivated:
        staff_deactivated.append(reaction)


# Each is called with the keyword arguments actor and user (an active staff member whose therapist role was just
# taken away through staff_roles_change, its row locked): what follows a therapist's leaving that follows losing the
# role too, such as their calendar feed links stopping.
therapist_role_taken: list[Callable[..., None]] = []


def therapist_role_taken_register(reaction: Callable[..., None]) -> None:
    if reaction not in therapist_role_taken:
        therapist_role_taken.append(reaction)


# Each is called with the keyword arguments therapist and discipline (the one asked for) and answers why the
# therapist's discipline cannot become it now, or "".
discipline_change_blockers: list[Callable[..., str]] = []


def discipline_change_blocker_register(check: Callable[..., str]) -> None:
    if check not in discipline_change_blockers:
        discipline_change_blockers.append(check)


# Each is called with the keyword arguments therapist and cap (a number, never None) and answers why the therapist's
# reduced-fee cap cannot become it now, or "".
reduced_fee_cap_blockers: list[Callable[..., str]] = []


def reduced_fee_cap_blocker_register(check: Callable[..., str]) -> None:
    if check not in reduced_fee_cap_blockers:
        reduced_fee_cap_blockers.append(check)


# Each is called with the keyword argument user and answers why `user` cannot stop being able to co-sign notes now,
# with what to do about it ("2 signed notes await …: hand them over to another supervisor"), or "". Accounts says it
# together with its own reasons, and what it would be doing.
cosigner_leaving_blockers: list[Callable[..., str]] = []


def cosigner_leaving_blocker_register(check: Callable[..., str]) -> None:
    if check not in cosigner_leaving_blockers:
        cosigner_leaving_blockers.append(check)


# Each is called with the keyword arguments request and member (whose staff page it is) and answers a section of the
# page (rendered HTML), or "" when it has nothing to show.
staff_page_sections: list[Callable[..., str]] = []


def staff_page_section_register(section: Callable[..., str]) -> None:
    if section not in staff_page_sections:
        staff_page_sections.append(section)
