"""The front desk's form that puts a patient on the slot waitlist refuses as every form does: sent with nothing in
it, the page comes back with its error summary and the reason by the field, 422, and nobody is added."""

import pytest

from apps.waitlist.models import SlotRequest

pytestmark = pytest.mark.django_db


def test_a_slot_request_sent_empty_is_refused_and_adds_nobody(personas, login):
    response = login(personas.front_desk).post("/programs/slots/", {})
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="error-summary"' in html and "Choose an answer for “Patient”." in html
    assert not SlotRequest.objects.exists()
