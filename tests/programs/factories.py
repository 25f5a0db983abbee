"""Programs for tests: built directly (no meetings) for the enrollment engine, or through program_create."""

import datetime as dt

import factory

from apps.core import clock
from apps.programs.models import GroupProgram
from tests.factories import ServiceTypeFactory, TherapistFactory


def group_service():
    return ServiceTypeFactory(code="90853", name="Group psychotherapy", duration_minutes=90, is_group=True)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupProgram

    title = factory.Sequence(lambda n: f"TMS recovery group {n}")
    description = "Ten weeks of education and group work."
    lead_facilitator = factory.SubFactory(TherapistFactory)
    service_type = factory.LazyFunction(group_service)
    capacity = 3
    is_telehealth = True
    enrollment_opens_on = factory.LazyFunction(lambda: clock.local_now().date() - dt.timedelta(days=7))
    first_meeting_on = factory.LazyFunction(lambda: clock.local_now().date() + dt.timedelta(days=14))
    local_start_time = dt.time(18, 0)
    meeting_count = 10


def facilitator_with_evening_hours(weekday: int, location=None):
    """A therapist who works 9:00-21:00 on `weekday` (at `location`, the main office by default), so evening group
    meetings need no override."""
    from apps.scheduling.models import Location, WorkingHours

    therapist = TherapistFactory()
    WorkingHours.objects.create(
        therapist=therapist,
        location=location or Location.main(),
        weekday=weekday,
        start_time=dt.time(9),
        end_time=dt.time(21),
    )
    return therapist


def scheduled_program(*, actor, capacity=3, meeting_count=4, room=None, lead_facilitator=None, **extra):
    """A program created through the service, so its meetings are real group appointments."""
    from apps.programs.services.setup import program_create

    first = clock.local_now().date() + dt.timedelta(days=14)
    data = {
        "title": "10-week TMS recovery group",
        "description": "Education, journaling and group work.",
        "lead_facilitator": lead_facilitator or facilitator_with_evening_hours(first.weekday()),
        "service_type": group_service(),
        "capacity": capacity,
        "enrollment_opens_on": clock.local_now().date() - dt.timedelta(days=1),
        "room": room,
        "is_telehealth": room is None,
        "local_start_time": dt.time(18, 0),
        "first_meeting_on": first,
        "meeting_count": meeting_count,
        **extra,
    }
    return program_create(actor=actor, **data)
