import pytest

from .factories import ProgramFactory


@pytest.fixture
def program(db):
    return ProgramFactory(capacity=3)
