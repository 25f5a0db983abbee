"""Where a patient stands in a program's line: the one rule every page tells it by.

A place in the line of a proposed program is on its interest list: the program may not run, and the clinic decides
by a date. In a program with places (launched) it is on the waitlist: a seat is offered as one frees. The portal's
home and programs pages, the staff chart and the care ladder's next step all read it here, so no page calls an
interest list a waitlist.
"""

from dataclasses import dataclass

from .models import EnrollmentStatus, ProgramStage

INTEREST_LIST = "interest list"
WAITLIST = "waitlist"


@dataclass(frozen=True)
class PlaceInLine:
    list_name: str  # INTEREST_LIST or WAITLIST
    rank: int | None  # 1 = next; None when the enrollment was read without its rank

    @property
    def is_interest_list(self) -> bool:
        return self.list_name == INTEREST_LIST


def place_in_line(enrollment) -> PlaceInLine | None:
    """The enrollment's place in line, None when it is not waiting (a seat, an offer, or ended). Reads the rank
    annotated by the programs selectors (`waitlist_rank`)."""
    if enrollment.status != EnrollmentStatus.WAITLISTED:
        return None
    proposed = enrollment.program.stage == ProgramStage.PROPOSED
    return PlaceInLine(
        list_name=INTEREST_LIST if proposed else WAITLIST, rank=getattr(enrollment, "waitlist_rank", None)
    )
