"""A supervisor with signed notes still awaiting their co-signature cannot leave (deactivated, no longer a therapist,
made pre-licensed) until an admin hands those notes over to another supervisor who may co-sign them: an active,
licensed therapist of the authors' discipline, not an author. The new supervisor finds them in their notes to
co-sign; the hand-over is in the access log; the database lets the co-signer change only before the co-signature."""

import html
import re

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import (
    staff_deactivate,
    staff_deactivation_refusal,
    staff_roles_change,
    therapist_profile_change,
)
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict, PermissionDenied, Unprocessable
from apps.notes.models import COSIGN_ATTESTATION, SessionNote
from apps.notes.services import note_cosign, note_cosigns_hand_over, note_create, note_sign
from tests.conftest import admin_profile_change
from tests.factories import TherapistFactory, UserFactory

from .conftest import complete_progress_content, past_appointment_for

pytestmark = pytest.mark.django_db

AWAITING = "2 signed notes await Theo Rapist's co-signature"


@pytest.fixture
def awaiting(personas, trainee, successor, progress_template):
    """Two notes the trainee signed under the personas' therapist, who then stopped supervising them (the trainee has
    the successor as supervisor now): the notes still await the therapist's co-signature, as signed."""
    notes = []
    for days_ago in (2, 3):
        session = past_appointment_for(trainee, personas.patient, days_ago=days_ago)
        note = note_create(
            actor=trainee, appointment=session, template=progress_template, content=complete_progress_content()
        )
        notes.append(note_sign(actor=trainee, note=note, attest=True))
    therapist_profile_change(actor=personas.admin, user=trainee, supervisor=successor)
    return notes


def _url(user, action: str = "") -> str:
    return f"/accounts/users/{user.pk}/{action + '/' if action else ''}"


def _hand_over_url(user) -> str:
    return f"/notes/cosigns/{user.pk}/hand-over/"


def _still_cosigning(user) -> bool:
    user = User.objects.select_related("therapist_profile").get(pk=user.pk)
    return user.is_active and Role.THERAPIST in user.roles and not user.therapist_profile.is_prelicensed


def test_deactivating_a_supervisor_with_notes_to_cosign_is_refused_naming_how_many(personas, awaiting, login):
    supervisor = personas.therapist
    assert AWAITING in staff_deactivation_refusal(actor=personas.admin, user=supervisor)
    with pytest.raises(Conflict, match=AWAITING) as refused:
        staff_deactivate(actor=personas.admin, user=supervisor)
    assert refused.value.status == 409
    admin = login(personas.admin)
    page = admin.get(_url(supervisor)).content.decode()
    assert "Deactivate…</button>" not in page and AWAITING in page
    response = admin.post(_url(supervisor, "deactivate"), {"confirmed": "yes"})
    text = html.unescape(response.content.decode())
    assert response.status_code == 409 and AWAITING in text and "hand them over" in text
    assert _still_cosigning(supervisor)
    assert not AccessLog.objects.filter(action="staff_deactivate").exists()


def test_taking_the_therapist_role_from_a_supervisor_with_notes_to_cosign_is_refused(personas, awaiting, login):
    with pytest.raises(Conflict, match=AWAITING):
        staff_roles_change(actor=personas.admin, user=personas.therapist, roles=[Role.FRONT_DESK])
    response = login(personas.admin).post(_url(personas.therapist), {"roles": [Role.FRONT_DESK]})
    assert response.status_code == 409
    assert AWAITING in response.content.decode()
    assert _still_cosigning(personas.therapist)


def test_making_a_supervisor_with_notes_to_cosign_prelicensed_is_refused_on_the_field(
    personas, awaiting, successor, login
):
    with pytest.raises(Conflict, match=AWAITING) as refused:
        therapist_profile_change(
            actor=personas.admin, user=personas.therapist, is_prelicensed=True, supervisor=successor
        )
    assert "is_prelicensed" in refused.value.fields
    response = login(personas.admin).post(
        _url(personas.therapist, "clinical-profile"),
        {"discipline": Discipline.PSYCHOTHERAPY, "is_prelicensed": "on", "supervisor": successor.pk},
    )
    assert response.status_code == 409
    profile = response.context["profile"]
    assert AWAITING in profile.non_field_errors()[0] and profile.errors["is_prelicensed"]
    assert _still_cosigning(personas.therapist)


def test_the_django_admin_cannot_make_a_supervisor_with_notes_to_cosign_prelicensed(
    personas, awaiting, successor, superuser_admin
):
    profile = personas.therapist.therapist_profile
    response = admin_profile_change(superuser_admin, profile, is_prelicensed=True, supervisor=successor.pk)
    assert response.status_code == 200
    assert AWAITING in html.unescape(response.content.decode())
    assert _still_cosigning(personas.therapist)


def test_handing_the_notes_over_moves_them_to_the_new_supervisors_list_and_lets_the_old_one_leave(
    personas, awaiting, successor, login
):
    moved = note_cosigns_hand_over(actor=personas.admin, supervisor=personas.therapist, successor=successor)

    assert moved == 2
    assert set(SessionNote.objects.filter(cosigner=successor).values_list("pk", flat=True)) == {
        note.pk for note in awaiting
    }
    listed = login(successor).get("/notes/unsigned/").context["to_cosign"]
    assert {row["note"].pk for row in listed} == {note.pk for note in awaiting}
    assert not login(personas.therapist).get("/notes/unsigned/").context["to_cosign"]
    row = AccessLog.objects.get(action="note_cosigns_hand_over")
    assert (row.actor, row.subject_id, row.detail) == (
        personas.admin,
        str(personas.therapist.pk),
        {"to": successor.pk, "notes": sorted(note.pk for note in awaiting)},
    )
    note_cosign(actor=successor, note=awaiting[0], attest=True)
    staff_deactivate(actor=personas.admin, user=personas.therapist)
    assert not User.objects.get(pk=personas.therapist.pk).is_active


@pytest.mark.parametrize(
    "who",
    ["deactivated", "prelicensed", "bodywork", "author", "front desk", "the same supervisor"],
)
def test_the_notes_are_handed_only_to_a_supervisor_who_may_cosign_them(personas, awaiting, trainee, who):
    successor = {
        "deactivated": lambda: TherapistFactory(is_active=False),
        "prelicensed": lambda: TherapistFactory(profile__is_prelicensed=True, profile__supervisor=TherapistFactory()),
        "bodywork": lambda: TherapistFactory(profile__discipline=Discipline.BODYWORK),
        "author": lambda: trainee,
        "front desk": lambda: UserFactory(roles=[Role.FRONT_DESK]),
        "the same supervisor": lambda: personas.therapist,
    }[who]()
    with pytest.raises(Unprocessable) as refused:
        note_cosigns_hand_over(actor=personas.admin, supervisor=personas.therapist, successor=successor)
    assert refused.value.status == 422 and refused.value.fields["successor"]
    assert SessionNote.objects.filter(cosigner=personas.therapist).count() == 2
    assert not AccessLog.objects.filter(action="note_cosigns_hand_over").exists()


def test_a_successor_of_another_discipline_is_refused_naming_whom_to_choose_instead(personas, awaiting, trainee):
    """The notes signed keep their author's discipline: choosing another successor is the one remedy said."""
    masseuse = TherapistFactory(first_name="Mae", last_name="Sage", profile__discipline=Discipline.BODYWORK)
    with pytest.raises(Unprocessable) as refused:
        note_cosigns_hand_over(actor=personas.admin, supervisor=personas.therapist, successor=masseuse)
    assert refused.value.message == (
        "Mae Sage is a massage and bodywork provider, and a supervisor is of the same discipline as the therapist they "
        "supervise (psychotherapy): choose a supervisor who practices psychotherapy."
    )


def test_only_an_admin_hands_notes_over_and_only_notes_still_awaiting(personas, awaiting, successor):
    with pytest.raises(PermissionDenied):
        note_cosigns_hand_over(actor=personas.therapist, supervisor=personas.therapist, successor=successor)
    note_cosigns_hand_over(actor=personas.admin, supervisor=personas.therapist, successor=successor)
    with pytest.raises(Conflict, match="No signed notes await Theo Rapist's co-signature"):
        note_cosigns_hand_over(actor=personas.admin, supervisor=personas.therapist, successor=successor)


def test_the_staff_page_offers_the_supervisors_who_may_take_the_notes_and_asks_before_handing_over(
    personas, awaiting, trainee, successor, login
):
    prelicensed = TherapistFactory(profile__is_prelicensed=True, profile__supervisor=successor)
    bodywork = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    admin = login(personas.admin)

    [section] = admin.get(_url(personas.therapist)).context["sections"]
    offered = {int(pk) for pk in re.findall(r'<option value="(\d+)"', section)}
    assert successor.pk in offered and personas.other_therapist.pk in offered
    assert not offered & {personas.therapist.pk, trainee.pk, prelicensed.pk, bodywork.pk}
    assert "2 signed notes await Theo Rapist's co-signature" in section and "Hand them over…</button>" in section

    asked = admin.post(_hand_over_url(personas.therapist), {"successor": successor.pk})
    assert asked.status_code == 200 and "Yes, hand 2 notes over to Sue Ccessor" in asked.content.decode()
    assert SessionNote.objects.filter(cosigner=personas.therapist).count() == 2

    done = admin.post(_hand_over_url(personas.therapist), {"successor": successor.pk, "confirmed": "yes"}, follow=True)
    assert "2 notes now await Sue Ccessor's co-signature." in html.unescape(done.content.decode())
    assert SessionNote.objects.filter(cosigner=successor).count() == 2
    assert "Hand them over…</button>" not in done.content.decode() and not done.context["sections"]


def test_the_hand_over_page_refuses_on_the_field(personas, awaiting, trainee, login):
    admin = login(personas.admin)
    refused = admin.post(_hand_over_url(personas.therapist), {"successor": trainee.pk, "confirmed": "yes"})
    assert refused.status_code == 422
    form = refused.context["form"]
    assert "they would supervise themselves" in form.non_field_errors()[0]
    assert form.errors["successor"] == ["Not a therapist who can supervise."]
    missing = admin.post(_hand_over_url(personas.therapist), {"successor": "", "confirmed": "yes"})
    assert missing.status_code == 422 and missing.context["form"].errors["successor"]
    assert login(personas.therapist).post(_hand_over_url(personas.therapist), {}).status_code == 403
    assert SessionNote.objects.filter(cosigner=personas.therapist).count() == 2


def test_the_database_lets_the_cosigner_change_only_before_the_cosignature(personas, awaiting, successor):
    waiting, cosigned = awaiting
    note_cosign(actor=personas.therapist, note=cosigned, attest=True)

    SessionNote.objects.filter(pk=waiting.pk).update(cosigner=successor)
    assert SessionNote.objects.get(pk=waiting.pk).cosigner == successor
    with pytest.raises(IntegrityError, match="is signed and cannot change"), transaction.atomic():
        SessionNote.objects.filter(pk=cosigned.pk).update(cosigner=successor)
    with pytest.raises(IntegrityError, match="is signed and cannot change"), transaction.atomic():
        SessionNote.objects.filter(pk=waiting.pk).update(
            cosigner=personas.therapist,
            cosigned_at=clock.now(),
            cosigned_by=personas.therapist,
            cosign_attestation=COSIGN_ATTESTATION,
            cosign_attested_at=clock.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionNote.objects.filter(pk=waiting.pk).update(cosign_required=False, cosigner=None)
