"""A typed-name signature stands for the patient only when it is their name on file: first and last name, read
without regard to case, spacing or accents, with a middle name or initial allowed between."""

import pytest

from apps.core.errors import ApplicationError
from apps.patients.names import SIGNATURE_NAME_MESSAGE, typed_name_check
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(legal_first_name="José", legal_last_name="Fischer-Núñez", preferred_name="Pepe")


@pytest.mark.parametrize(
    "typed",
    [
        "José Fischer-Núñez",
        "jose fischer-nunez",
        "  JOSÉ   fischer-núñez ",
        "José A. Fischer-Núñez",
        "José Alejandro Fischer-Núñez",
        "Pepe Fischer-Núñez",
    ],
)
def test_the_name_on_file_is_accepted_however_it_is_typed(patient, typed):
    assert typed_name_check(patient=patient, typed_name=typed) == " ".join(typed.split())


@pytest.mark.parametrize(
    "typed", ["Zorro", "José", "Fischer-Núñez", "Fischer-Núñez José", "José Fischer", "Jo Fischer-Núñez"]
)
def test_another_name_is_refused_saying_what_name_is_expected(patient, typed):
    with pytest.raises(ApplicationError) as refused:
        typed_name_check(patient=patient, typed_name=typed)
    assert refused.value.fields == {"typed_name": [SIGNATURE_NAME_MESSAGE]}
    assert SIGNATURE_NAME_MESSAGE == "Type your full name as the clinic has it: first and last name."
    assert "José" not in refused.value.message and "Fischer" not in refused.value.message
