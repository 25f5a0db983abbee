"""What the series preview advises when some of its dates are blocked, by why they are: a date another session
takes can only be skipped (or the time changed); one outside the therapist's working hours or in their time off can
also be booked with an override reason. The advice names the form's own skip box, and offers it only when there are
free dates for it to book (ticked with nothing free, booking is refused)."""

from .availability import Slot


def _dates(n: int) -> str:
    return f"{n} free date{'s' if n != 1 else ''}"


def _is(n: int) -> str:
    return "is" if n == 1 else "are"


def _unavailable_why(slots: list[Slot]) -> str:
    in_time_off = sum(1 for s in slots if s.in_time_off)
    if in_time_off == len(slots):
        return "in time off"
    if not in_time_off:
        return "outside working hours"
    return "outside working hours or in time off"


def series_blocked_advice(slots: list[Slot], *, skip_label: str) -> str:
    """The advice for the proposed dates (`slots`), "" when none is blocked. `skip_label` is the skip box's label."""
    collided = [s for s in slots if s.collisions]
    unavailable = [s for s in slots if s.unavailable and not s.collisions]
    free = len(slots) - len(collided) - len(unavailable)
    tick = f"tick “{skip_label}” to book the {_dates(free)}"
    if not collided and not unavailable:
        return ""
    if not unavailable:
        told = f"{len(collided)} collide{'s' if len(collided) == 1 else ''} with another session"
        if not free:
            return (
                f"{'All of them collide' if len(slots) > 1 else 'It collides'} with another session: change the time."
            )
        return f"{told}: {tick}, or change the time."
    why = _unavailable_why(unavailable)
    if not collided:
        them = "it" if len(unavailable) == 1 else "them"
        if not free:
            told = f"All {len(slots)} are {why}" if len(slots) > 1 else f"It is {why}"
            return f"{told}: change the time, or give an override reason to book {them} anyway."
        told = f"{len(unavailable)} {_is(len(unavailable))} {why}"
        return f"{told}: change the time, give an override reason to book {them} anyway, or {tick}."
    told = (
        f"{len(collided)} collide{'s' if len(collided) == 1 else ''} with another session and "
        f"{len(unavailable)} {_is(len(unavailable))} {why}"
    )
    ones = f"the one {why}" if len(unavailable) == 1 else f"the ones {why}"
    if not free:
        return f"{told}: tick “{skip_label}” and give an override reason to book {ones}, or change the time."
    return f"{told}: {tick} (with an override reason too, {ones} as well), or change the time."
