"""The database holds the clinic's hold, lead-time and waiting settings within their bounds, however the row is
written."""

import pytest
from django.db import IntegrityError, transaction

from apps.core.models import SETTING_BOUNDS, ClinicSettings

pytestmark = pytest.mark.django_db

OUT_OF_BOUNDS = [(setting, most + 1) for setting, (_, most) in SETTING_BOUNDS.items()] + [
    (setting, least - 1) for setting, (least, _) in SETTING_BOUNDS.items() if least > 0
]


@pytest.mark.parametrize(("setting", "value"), OUT_OF_BOUNDS)
def test_a_setting_out_of_bounds_is_refused_by_the_database(setting, value):
    ClinicSettings.objects.get_or_create(id=1)
    with pytest.raises(IntegrityError, match=f"clinic_{setting}_in_bounds"), transaction.atomic():
        ClinicSettings.objects.filter(id=1).update(**{setting: value})


@pytest.mark.parametrize("bound", [0, 1], ids=["least", "most"])
def test_a_setting_at_either_bound_is_kept(bound):
    at_bound = {setting: limits[bound] for setting, limits in SETTING_BOUNDS.items()}
    ClinicSettings.objects.update_or_create(id=1, defaults=at_bound)
    assert ClinicSettings.objects.filter(id=1, **at_bound).exists()
