"""One permission check for clinical content. Django's has_perm waves an active superuser through every perm while
the notes rules never did, so the same question had two answers; now the rule is the answer everywhere: a
superuser is no clinician, and a process note stays its author's."""

import rules
from django.contrib.auth.models import PermissionsMixin
from django.urls import reverse

from apps.accounts.rules import CLINICAL_PERMS
from apps.notes.services import process_note_create
from tests.factories import UserFactory

from .conftest import past_appointment_for


def _superuser(user):
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def test_django_and_the_notes_rule_disagree_about_a_superuser_and_the_rule_wins(personas):
    session = past_appointment_for(personas.therapist, personas.patient)
    note = process_note_create(actor=personas.therapist, patient=personas.patient, appointment=session, text="Mine.")
    superuser = _superuser(personas.admin)
    # The disagreement: Django's own check says yes to any perm for an active superuser, the rule says no.
    assert PermissionsMixin.has_perm(superuser, "notes.view_process_note", note) is True
    assert rules.has_perm("notes.view_process_note", superuser, note) is False
    # The one answer, wherever it is asked.
    assert superuser.has_perm("notes.view_process_note", note) is False
    assert personas.therapist.has_perm("notes.view_process_note", note) is True


def test_every_notes_and_outcomes_perm_is_decided_by_its_rule_alone(personas):
    registered = {name for name in rules.permissions.permissions if name.split(".")[0] in {"notes", "outcomes"}}
    assert registered and registered <= CLINICAL_PERMS
    superuser = UserFactory(is_staff=True, is_superuser=True)  # no clinic role at all
    # Django said yes to each of them; the rules say no to a user with no role, and so does has_perm now.
    assert [perm for perm in sorted(CLINICAL_PERMS) if superuser.has_perm(perm)] == []


def test_intake_answers_and_writing_a_referral_out_are_decided_by_their_rule_alone(personas):
    """Both are a psychotherapist's: an admin who is a Django superuser neither reads the answers nor refers out."""
    superuser = _superuser(personas.admin)
    for perm in ("intake.view_answers", "referrals.write_outbound"):
        assert perm in CLINICAL_PERMS
        assert not superuser.has_perm(perm, personas.patient), perm
        assert personas.therapist.has_perm(perm, personas.patient), perm


def test_a_superuser_keeps_django_s_pass_outside_clinical_content(personas):
    superuser = _superuser(personas.admin)
    assert superuser.has_perm("scheduling.view_calendar")
    assert superuser.has_perm("billing.view_ledger", personas.patient)


def test_a_superuser_is_not_offered_the_clinical_chart_nor_let_in(personas, login):
    client = login(_superuser(personas.admin))
    page = client.get(reverse("patients:detail", args=[personas.patient.pk]))
    assert reverse("notes:chart", args=[personas.patient.pk]) not in page.content.decode()
    assert client.get(reverse("notes:chart", args=[personas.patient.pk])).status_code == 404
