import pytest

from apps.billing.demo import config_seed
from tests.factories import ServiceTypeFactory


@pytest.fixture
def services_catalogue(db):
    return {
        "90791": ServiceTypeFactory(code="90791", name="Intake assessment", duration_minutes=60),
        "90834": ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45),
        "90837": ServiceTypeFactory(code="90837", name="Individual psychotherapy, 60 min", duration_minutes=60),
        "90853": ServiceTypeFactory(code="90853", name="Group psychotherapy", duration_minutes=90, is_group=True),
    }


@pytest.fixture
def fee_config(services_catalogue):
    """The demo clinic's fees: intake $250, individual $200, group $60; 2025/2026 guidelines; HRSA classes with a
    $20 nominal fee and a $100 late-cancel / no-show policy fee."""
    config_seed()
    return services_catalogue
