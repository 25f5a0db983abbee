"""The demo seed's last step: the sessions under way now have their patients checked in, whichever app booked them
(psychotherapy series, bodywork, packages), on the first run and on every run again alike."""

from apps.accounts.models import User
from apps.accounts.roles import Role

from .demo_appointments import sessions_under_way_check_in


def seed(out) -> None:
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    sessions_under_way_check_in(actor=front_desk)
