"""factory_boy factories shared by every app's tests."""

import datetime as dt
import functools

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.patients.models import Patient

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(lambda: _password_hash(tuple(settings.PASSWORD_HASHERS)))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _set_roles(self, extracted or [])


def api_token_for(user, *, name: str = "integration", days: int = 30) -> str:
    """A live API token of the user's own, as its plaintext (what the token page shows once)."""
    from apps.accounts.services import api_token_create

    return api_token_create(actor=user, name=name, lifetime=dt.timedelta(days=days))[1]


@functools.lru_cache
def _password_hash(hashers: tuple[str, ...]) -> str:
    """PASSWORD hashed by the first of `hashers` (a test may switch to the deploy's), once: the user row goes in
    with it, so no second write sets the password."""
    return make_password(PASSWORD)


def _set_roles(user, roles) -> None:
    if roles:
        groups = list(Group.objects.filter(name__in=roles))
        found = {group.name for group in groups}
        groups += [Group.objects.get_or_create(name=role)[0] for role in roles if role not in found]
        user.groups.add(*groups)
    user.access_reload()


class TherapistFactory(UserFactory):
    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _set_roles(self, extracted or [Role.THERAPIST])

    profile = factory.RelatedFactory("tests.factories.TherapistProfileFactory", factory_related_name="user")


class TherapistProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TherapistProfile

    credentials = "LICSW"
    license_type = "LICSW"
    license_number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    npi = factory.Sequence(lambda n: f"{1000000000 + n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    chart_number = factory.Sequence(lambda n: f"T{n:06d}")
    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1985, 4, 12)
    email = factory.Sequence(lambda n: f"patient{n}@example.test")
    phone = factory.Sequence(lambda n: f"+1617555{n % 10000:04d}")
    primary_therapist = None


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scheduling.ServiceType"
        django_get_or_create = ("code",)

    code = "90834"
    name = "Individual psychotherapy, 45 min"
    duration_minutes = 45
    is_group = False


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scheduling.Room"

    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 1


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A booked 45-minute session; `start` defaults to a Monday 10:00 clinic time 8 to 14 days ahead."""

    class Meta:
        model = "scheduling.Appointment"

    therapist = factory.SubFactory(TherapistFactory)
    patient = factory.SubFactory(PatientFactory, primary_therapist=factory.SelfAttribute("..therapist"))
    service_type = factory.SubFactory(ServiceTypeFactory)
    room = None
    start = factory.LazyFunction(lambda: _next_monday_at(10))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=o.service_type.duration_minutes))


def appointment_ahead(*, therapist, patient, **fields):
    """A one-hour session three weeks ahead at 4 PM clinic time: clear of the personas' own sessions (a Monday at
    10:00 one to two weeks ahead) whatever the day the tests run."""
    from apps.core import clock

    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=21), dt.time(16, 0))
    return AppointmentFactory(
        therapist=therapist, patient=patient, start=start, end=start + dt.timedelta(hours=1), **fields
    )


def _next_monday_at(hour: int) -> dt.datetime:
    from apps.core import clock

    # Far enough ahead that every reminder lead time and cancellation window lies in the future,
    # whatever weekday the tests run on.
    today = clock.local_now().date()
    monday = today + dt.timedelta(days=7 + ((7 - today.weekday()) or 7))
    return clock.local_datetime(monday, dt.time(hour, 0))
