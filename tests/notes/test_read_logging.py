"""A read of note or plan text logs from the selector the page and the API share: each writes exactly one row."""

import pytest
from django.urls import reverse

from apps.audit.models import AccessLog
from apps.notes.services import note_create, note_sign

from .conftest import complete_progress_content, signed_plan_for


def _rows(action: str) -> list[tuple]:
    return list(AccessLog.objects.filter(action=action).values_list("actor_id", "subject_id", "allowed"))


@pytest.fixture
def signed(personas, past_session, progress_template):
    note = note_create(
        actor=personas.therapist,
        appointment=past_session,
        template=progress_template,
        content=complete_progress_content(),
    )
    return note_sign(actor=personas.therapist, note=note, attest=True)


@pytest.mark.parametrize("reader", ["page", "api"])
def test_the_note_page_and_the_note_api_each_write_one_row(personas, login, signed, reader):
    if reader == "page":
        response = login(personas.therapist).get(reverse("notes:detail", args=[signed.pk]))
    else:
        response = login(personas.therapist, api=True).get(f"/api/notes/{signed.pk}/")
    assert response.status_code == 200
    assert _rows("note_view") == [(personas.therapist.pk, str(signed.pk), True)]


@pytest.mark.parametrize("reader", ["page", "api"])
def test_the_plan_page_and_the_plan_api_each_write_one_row(personas, login, reader):
    plan = signed_plan_for(personas.therapist, personas.patient)
    if reader == "page":
        response = login(personas.therapist).get(reverse("notes:plan_detail", args=[plan.pk]))
    else:
        response = login(personas.therapist, api=True).get(f"/api/treatment-plans/{plan.pk}/")
    assert response.status_code == 200
    assert _rows("plan_view") == [(personas.therapist.pk, str(plan.pk), True)]
