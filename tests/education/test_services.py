"""Keeping the library, sharing an item, marking it done and undone, writing from a prompt, withdrawing."""

import pytest

from apps.audit.models import AccessLog
from apps.core.encryption import decrypt_text
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, PermissionDenied, Unprocessable
from apps.education import services
from apps.education.models import Assignment, FileKind, ItemKind, LibraryItem, PromptEntry
from apps.notifications.models import Message
from apps.patients.services import patient_discharge
from tests.factories import AppointmentFactory
from tests.locking import at_once

from .conftest import M4A, MP3, upload

pytestmark = pytest.mark.django_db


def test_a_file_is_accepted_by_its_first_bytes_and_refused_when_renamed_or_too_large(personas, settings):
    pdf = services.library_item_create(actor=personas.admin, title="Chapter", kind=ItemKind.READING, upload=upload())
    assert (pdf.file_kind, pdf.link) == (FileKind.PDF, "")
    mp3 = services.library_item_create(
        actor=personas.therapist, title="Talk", kind=ItemKind.RECORDING, upload=upload("talk.mp3", MP3, "audio/mpeg")
    )
    m4a = services.library_item_create(
        actor=personas.therapist, title="Talk 2", kind=ItemKind.RECORDING, upload=upload("talk.m4a", M4A, "audio/mp4")
    )
    assert (mp3.file_kind, m4a.file_kind) == (FileKind.MP3, FileKind.M4A)
    with pytest.raises(ApplicationError, match="not a file we accept"):
        services.library_item_create(
            actor=personas.admin, title="Fake", kind=ItemKind.READING, upload=upload("notes.pdf", MP3)
        )
    settings.CLINIC_EDUCATION_FILE_MAX_MB = 0
    with pytest.raises(ApplicationError, match="too large"):
        services.library_item_create(actor=personas.admin, title="Big", kind=ItemKind.READING, upload=upload())
    assert LibraryItem.objects.count() == 3


def test_a_reading_without_a_source_or_with_two_is_refused(personas):
    with pytest.raises(ApplicationError, match="needs a link or a file"):
        services.library_item_create(actor=personas.admin, title="Nothing", kind=ItemKind.READING)
    with pytest.raises(ApplicationError, match="not both"):
        services.library_item_create(
            actor=personas.admin, title="Both", kind=ItemKind.READING, link="https://example.test", upload=upload()
        )


@pytest.mark.parametrize("persona", ["front_desk", "billing", "patient_user"])
def test_only_admins_and_therapists_keep_the_library(personas, persona):
    with pytest.raises(PermissionDenied):
        services.library_item_create(actor=getattr(personas, persona), title="X", kind=ItemKind.JOURNALING_PROMPT)


def test_editing_replaces_the_file_with_a_link_and_keeps_it_otherwise(personas):
    item = services.library_item_create(actor=personas.admin, title="Chapter", kind=ItemKind.READING, upload=upload())
    kept = services.library_item_update(
        actor=personas.therapist, item=item, title="Chapter one", kind=ItemKind.READING, care_level="group"
    )
    assert kept.file and kept.title == "Chapter one" and kept.get_care_level_display() == "Group program"
    linked = services.library_item_update(
        actor=personas.admin,
        item=item,
        title="Chapter one",
        kind=ItemKind.READING,
        care_level="group",
        link="https://example.test/one",
    )
    assert (linked.link, bool(linked.file), linked.file_kind, linked.file_size) == (
        "https://example.test/one",
        False,
        "",
        None,
    )


def test_sharing_queues_a_notice_with_no_content_and_logs_the_write(personas, reading):
    assignment = services.assignment_create(
        actor=personas.therapist, patient=personas.patient, item=reading, note="Read this before Thursday."
    )
    assert decrypt_text(assignment.content_encrypted) == "Read this before Thursday."
    notices = list(Message.objects.filter(purpose="education_shared"))
    assert notices and all(n.patient_id == personas.patient.pk for n in notices)
    for notice in notices:
        flat = repr(notice.context)
        assert "Healing" not in flat and "Thursday" not in flat
        assert f"/portal/library/{assignment.pk}/" in notice.context["portal_url"]
    log = AccessLog.objects.get(action="education_assign")
    assert (log.actor, log.patient_id) == (personas.therapist, personas.patient.pk)


def test_sharing_is_refused_for_another_therapists_patient_a_retired_item_and_a_duplicate(personas, reading):
    with pytest.raises(PermissionDenied):
        services.assignment_create(actor=personas.other_therapist, patient=personas.patient, item=reading)
    with pytest.raises(PermissionDenied):
        services.assignment_create(actor=personas.front_desk, patient=personas.patient, item=reading)
    first = services.assignment_create(actor=personas.therapist, patient=personas.patient, item=reading)
    with pytest.raises(Conflict):
        services.assignment_create(actor=personas.therapist, patient=personas.patient, item=reading)
    services.assignment_withdraw(actor=personas.therapist, assignment=first)
    services.library_item_retire(actor=personas.admin, item=reading)
    with pytest.raises(Unprocessable, match="retired"):
        services.assignment_create(actor=personas.therapist, patient=personas.patient, item=reading)
    assert Assignment.objects.count() == 1


def test_a_withdrawn_item_may_be_shared_again(personas, shared_reading, reading):
    services.assignment_withdraw(actor=personas.therapist, assignment=shared_reading)
    with pytest.raises(InvalidTransition):
        services.assignment_withdraw(actor=personas.therapist, assignment=shared_reading)
    again = services.assignment_create(actor=personas.therapist, patient=personas.patient, item=reading)
    assert again.pk != shared_reading.pk


def test_the_patient_marks_done_and_undoes_it_nobody_else_does(personas, shared_reading):
    done = services.assignment_mark_done(actor=personas.patient_user, assignment=shared_reading)
    assert done.is_done
    with pytest.raises(InvalidTransition):
        services.assignment_mark_done(actor=personas.patient_user, assignment=shared_reading)
    undone = services.assignment_mark_done(actor=personas.patient_user, assignment=shared_reading, done=False)
    assert not undone.is_done
    for outsider in (personas.other_patient_user, personas.therapist, personas.front_desk):
        with pytest.raises(PermissionDenied):
            services.assignment_mark_done(actor=outsider, assignment=shared_reading)
    assert list(
        AccessLog.objects.filter(action__in=["education_done", "education_undone"]).values_list("action", flat=True)
    ) == ["education_undone", "education_done"]


def test_a_journal_entry_is_the_patients_own_encrypted_and_on_a_prompt_only(personas, shared_prompt, shared_reading):
    entry = services.prompt_entry_write(
        actor=personas.patient_user, assignment=shared_prompt, text="  It began when my father was ill.  "
    )
    raw = PromptEntry.objects.values_list("content_encrypted", flat=True).get(pk=entry.pk)
    assert "father" not in raw and decrypt_text(raw) == "It began when my father was ill."
    with pytest.raises(Unprocessable):
        services.prompt_entry_write(actor=personas.patient_user, assignment=shared_reading, text="Not a prompt.")
    with pytest.raises(ApplicationError, match="Write something"):
        services.prompt_entry_write(actor=personas.patient_user, assignment=shared_prompt, text="   ")
    with pytest.raises(PermissionDenied):
        services.prompt_entry_write(actor=personas.therapist, assignment=shared_prompt, text="Written for them.")
    services.assignment_withdraw(actor=personas.therapist, assignment=shared_prompt)
    with pytest.raises(InvalidTransition):
        services.prompt_entry_write(actor=personas.patient_user, assignment=shared_prompt, text="Too late.")
    assert PromptEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_therapists_sharing_the_same_item_at_once_leave_one_open_assignment(personas, reading):
    """The patient's second treating therapist and their first share the same reading in the same instant."""
    AppointmentFactory(therapist=personas.other_therapist, patient=personas.patient)
    outcomes = at_once(
        *[
            lambda actor=actor: services.assignment_create(actor=actor, patient=personas.patient, item=reading)
            for actor in (personas.therapist, personas.other_therapist)
        ]
    )
    assert sum(isinstance(o, Assignment) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1, outcomes
    assert Assignment.objects.filter(patient=personas.patient, withdrawn_at__isnull=True).count() == 1


def test_nothing_is_shared_with_a_discharged_patient_and_the_chart_offers_nothing(personas, login, reading):
    patient_discharge(actor=personas.admin, patient=personas.patient)
    with pytest.raises(Unprocessable, match="discharged"):
        services.assignment_create(actor=personas.therapist, patient=personas.patient, item=reading)
    assert not Assignment.objects.exists() and not Message.objects.filter(template="education_shared").exists()
    chart = login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert f"/education/patients/{personas.patient.pk}/share/" not in chart and "has been discharged" in chart
