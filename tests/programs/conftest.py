import pytest

from tests.factories import PatientFactory, UserFactory

from .factories import ProgramFactory


@pytest.fixture
def program(db):
    return ProgramFactory(capacity=3)


@pytest.fixture
def make_patients(db):
    """make_patients(n) -> n active patients, each with a portal account."""

    def _make(n: int):
        from apps.accounts.roles import Role

        return [PatientFactory(user=UserFactory(roles=[Role.PATIENT])) for _ in range(n)]

    return _make
