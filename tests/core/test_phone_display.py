"""Stored numbers (E.164) are shown the way people read them; links keep the stored form."""

import pytest
from django.template import Context, Template

from apps.core.phones import phone_display


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+16175550123", "(617) 555-0123"),
        ("+442079460958", "+442079460958"),  # from abroad: the international form
        ("", ""),
        (None, ""),
    ],
)
def test_a_stored_number_reads_as_people_write_it(stored, shown):
    assert phone_display(stored) == shown
    assert Template("{{ number|phone }}").render(Context({"number": stored})) == shown


@pytest.mark.django_db
def test_the_chart_shows_the_number_readably_and_dials_the_stored_one(personas, login):
    personas.patient.phone = "+16175550123"
    personas.patient.save()
    page = login(personas.front_desk).get(f"/patients/{personas.patient.pk}/").content.decode()
    assert "(617) 555-0123" in page
    assert "+16175550123</dd>" not in page
