"""Forms sent to a patient whose portal account was closed: they cannot sign in to sign them, so the front desk is
told the forms were not delivered and what to do instead, never that they were sent; the patient page's intake card
says the same of each form waiting, and warns before the next packet."""

import pytest

from apps.accounts.models import User
from apps.intake.models import IntakeDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(personas):
    """The personas' patient, whose portal account was deactivated (it keeps its password: no new invitation)."""
    User.objects.filter(pk=personas.patient_user.pk).update(is_active=False)
    personas.patient.refresh_from_db()
    return personas.patient


def _standard() -> list[int]:
    return list(IntakeDocument.objects.filter(in_standard_packet=True).values_list("pk", flat=True))


def _not_delivered(count: int) -> str:
    return (
        f"{count} forms were not delivered to Pat Ient: their portal account is closed, so they cannot sign in to "
        "sign them. Give them paper copies to sign at the clinic."
    )


def test_the_desk_is_told_the_forms_were_not_delivered_and_what_to_do(personas, login, closed):
    page = login(personas.front_desk).post(
        f"/intake/patients/{closed.pk}/send/", {"documents": _standard()}, follow=True
    )
    [message] = list(page.context["messages"])
    assert str(message) == _not_delivered(len(_standard()))
    assert message.level_tag == "warning"  # not the green of a packet sent


def test_the_api_answer_says_the_same(personas, login, closed):
    response = login(personas.front_desk, api=True).post("/api/intake-packets/", {"patient": closed.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["notice"] == _not_delivered(len(_standard()))


def test_the_intake_card_marks_each_waiting_form_undelivered_and_warns_before_sending(personas, login, closed):
    client = login(personas.front_desk)
    client.post(f"/intake/patients/{closed.pk}/send/", {"documents": _standard()})
    card = client.get(f"/patients/{closed.pk}/").content.decode()
    assert card.count("not delivered: portal account closed") == len(_standard())
    assert "not signed yet" not in card
    assert "Their portal account is closed: forms sent from here cannot reach them." in card


def test_a_patient_who_signs_in_still_reads_not_signed_yet(personas, login):
    client = login(personas.front_desk)
    client.post(f"/intake/patients/{personas.patient.pk}/send/", {"documents": _standard()})
    card = client.get(f"/patients/{personas.patient.pk}/").content.decode()
    assert "not signed yet" in card and "not delivered" not in card and "portal account is closed" not in card
