"""A signature refused once the session is being completed (a reaction to the completion refuses it, after billing
has posted its charge) leaves nothing half-written: completing and charging share the signature's transaction, so
the note stays a draft, the session booked, and no charge, transition or handled reaction remains. The page keeps
the answers it saved before signing."""

import pytest

from apps.billing.models import Charge
from apps.core.errors import Unprocessable
from apps.core.models import TransitionHandled
from apps.core.transitions import reaction_register, reaction_unregister
from apps.notes.models import NoteStatus
from apps.scheduling.models import AppointmentStatus, AppointmentTransition

from .conftest import complete_progress_content

pytestmark = pytest.mark.django_db

REFUSAL = "The session cannot be completed now."


def _refuse(transition):
    raise Unprocessable(REFUSAL)


@pytest.fixture
def completion_refused():
    """A reaction to a completed session that refuses it, registered after billing's (which posts the charge first)."""
    reaction = reaction_register(
        model="scheduling.AppointmentTransition", to_status=AppointmentStatus.COMPLETED, name="test.refuse", run=_refuse
    )
    yield
    reaction_unregister(reaction)


def _nothing_written(note, session) -> None:
    note.refresh_from_db()
    session.refresh_from_db()
    assert note.status == NoteStatus.DRAFT and note.signed_at is None
    assert session.status == AppointmentStatus.BOOKED and session.completed_at is None
    assert not Charge.objects.filter(appointment=session).exists()
    transitions = AppointmentTransition.objects.filter(appointment=session, to_status=AppointmentStatus.COMPLETED)
    assert not transitions.exists()
    assert not TransitionHandled.objects.filter(reaction="billing.charge_session_outcome").exists()


def test_a_signature_refused_by_a_reaction_to_the_completion_writes_nothing(
    personas, login, past_session, draft, completion_refused
):
    api = login(personas.therapist, api=True)

    refused = api.post(f"/api/notes/{draft.pk}/sign/", {"attest": True}, format="json")

    assert refused.status_code == 422
    assert REFUSAL in refused.content.decode()
    _nothing_written(draft, past_session)


def test_the_editor_keeps_the_saved_answers_of_a_signature_refused_by_a_reaction(
    personas, login, past_session, draft, completion_refused
):
    content = complete_progress_content(pain_now=2)
    form = {key: str(value) if isinstance(value, int) else value for key, value in content.items()}

    refused = login(personas.therapist).post(f"/notes/{draft.pk}/", {**form, "sign": "1", "attest": "on"})

    assert refused.status_code == 422
    assert REFUSAL in refused.content.decode()
    _nothing_written(draft, past_session)
    assert draft.pain_now == 2  # saved before the signature, and kept


def test_the_signature_is_the_authors_alone(personas, login, past_session, draft):
    for persona in ("other_therapist", "front_desk", "billing", "patient_user"):
        answer = login(getattr(personas, persona), api=True).post(
            f"/api/notes/{draft.pk}/sign/", {"attest": True}, format="json"
        )
        assert answer.status_code in (403, 404), persona
        assert "Low back pain" not in answer.content.decode()
    _nothing_written(draft, past_session)
