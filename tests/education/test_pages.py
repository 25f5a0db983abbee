"""The staff library pages, the chart's Education panel, the portal library, and who may open each: a journal entry
is read by the patient and their treating therapists only, and each staff read is access-logged."""

import pytest

from apps.audit.models import AccessLog
from apps.education import services
from apps.education.models import Assignment, ItemKind, LibraryItem, PromptEntry

from .conftest import upload

pytestmark = pytest.mark.django_db


def _entry(personas, assignment, text="It began the spring my father was ill."):
    return services.prompt_entry_write(actor=personas.patient_user, assignment=assignment, text=text)


def test_a_therapist_adds_edits_and_retires_an_item_with_a_confirmation(personas, login):
    client = login(personas.therapist)
    assert "Add an item" in client.get("/education/").content.decode()
    response = client.post(
        "/education/new/",
        {"title": "Chapter one", "kind": ItemKind.READING, "care_level": "education", "file": upload()},
    )
    assert response.status_code == 302
    item = LibraryItem.objects.get(title="Chapter one")
    response = client.post(
        f"/education/{item.pk}/edit/",
        {"title": "Chapter one", "kind": ItemKind.READING, "care_level": "group", "link": "", "description": "Read."},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.care_level, item.description, bool(item.file)) == ("group", "Read.", True)
    confirm = client.get(f"/education/{item.pk}/retire/")
    assert "Retire “Chapter one”?" in confirm.content.decode()
    assert LibraryItem.objects.get(pk=item.pk).is_active
    client.post(f"/education/{item.pk}/retire/")
    assert not LibraryItem.objects.get(pk=item.pk).is_active
    assert client.get(f"/education/{item.pk}/file/").status_code == 200


def test_bad_input_on_the_item_form_is_a_form_error_not_a_500(personas, login):
    client = login(personas.admin)
    response = client.post("/education/new/", {"title": "Nothing", "kind": ItemKind.READING, "care_level": "education"})
    assert response.status_code == 422
    assert "needs a link or a file" in response.content.decode()
    response = client.post(
        "/education/new/",
        {"title": "Fake", "kind": ItemKind.READING, "care_level": "education", "file": upload("x.pdf", b"MZ\x90")},
    )
    assert response.status_code == 422 and "not a file we accept" in response.content.decode()
    assert not LibraryItem.objects.exists()


def test_the_item_and_sharing_forms_sent_empty_are_refused_with_422_and_nothing_written(personas, login):
    client = login(personas.therapist)
    for url in ("/education/new/", f"/education/patients/{personas.patient.pk}/share/"):
        response = client.post(url, {})
        body = response.content.decode()
        assert response.status_code == 422, url
        assert 'id="error-summary"' in body and "This field is required." in body
    assert not LibraryItem.objects.exists() and not Assignment.objects.exists()


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
def test_the_front_desk_and_billing_neither_open_nor_keep_the_library(personas, login, persona, reading):
    client = login(getattr(personas, persona))
    assert client.get("/education/").status_code == 403
    assert client.get("/education/new/").status_code == 403
    assert client.post(f"/education/{reading.pk}/retire/").status_code == 403


def test_the_therapist_shares_from_the_chart_and_sees_progress_there(personas, login, prompt, reading):
    client = login(personas.therapist)
    chart = client.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "Education" in chart and "Nothing shared yet." in chart
    assert f"/education/patients/{personas.patient.pk}/share/" in chart
    form = client.get(f"/education/patients/{personas.patient.pk}/share/").content.decode()
    assert prompt.title in form
    response = client.post(
        f"/education/patients/{personas.patient.pk}/share/", {"item": prompt.pk, "note": "Ten minutes a day."}
    )
    assert response.status_code == 302
    duplicate = client.post(f"/education/patients/{personas.patient.pk}/share/", {"item": prompt.pk})
    assert duplicate.status_code == 409 and "already has this item" in duplicate.content.decode()
    assignment = Assignment.objects.get(patient=personas.patient)
    _entry(personas, assignment)
    services.assignment_mark_done(actor=personas.patient_user, assignment=assignment)
    chart = client.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert prompt.title in chart and "Done" in chart and "1 entry" in chart
    assert "father" not in chart  # the panel counts entries; reading them is its own, logged page


def test_without_a_portal_account_the_chart_says_so_instead_of_offering_to_share(personas, login, reading):
    type(personas.patient).objects.filter(pk=personas.patient.pk).update(user=None)
    chart = login(personas.therapist).get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert f"/education/patients/{personas.patient.pk}/share/" not in chart
    assert "has no portal account yet" in chart


def test_another_therapist_may_not_share_with_or_read_a_patient_they_do_not_treat(personas, login, shared_prompt):
    _entry(personas, shared_prompt)
    client = login(personas.other_therapist)
    assert client.get(f"/education/patients/{personas.patient.pk}/share/").status_code == 404
    assert client.get(f"/education/assignments/{shared_prompt.pk}/").status_code == 404
    refused = AccessLog.objects.get(action="education_journal_view")
    assert (refused.allowed, refused.actor) == (False, personas.other_therapist)


@pytest.mark.parametrize("persona", ["front_desk", "billing", "admin"])
def test_only_treating_therapists_among_staff_read_journal_entries(personas, login, shared_prompt, persona):
    _entry(personas, shared_prompt)
    response = login(getattr(personas, persona)).get(f"/education/assignments/{shared_prompt.pk}/")
    assert response.status_code == 404
    assert "father" not in response.content.decode()


def test_each_staff_read_of_journal_entries_is_access_logged(personas, login, shared_prompt):
    first, second = _entry(personas, shared_prompt), _entry(personas, shared_prompt, "The new job, too.")
    body = login(personas.therapist).get(f"/education/assignments/{shared_prompt.pk}/").content.decode()
    assert "father" in body and "The new job, too." in body and "Take your time with this one." in body
    logged = AccessLog.objects.filter(action="education_journal_view", allowed=True)
    assert {(log.subject_id, log.patient_id, log.actor_id) for log in logged} == {
        (str(first.pk), personas.patient.pk, personas.therapist.pk),
        (str(second.pk), personas.patient.pk, personas.therapist.pk),
    }


def test_a_staff_read_of_the_note_on_a_shared_item_is_access_logged(personas, login, shared_prompt):
    body = login(personas.therapist).get(f"/education/assignments/{shared_prompt.pk}/").content.decode()
    assert "Take your time with this one." in body
    logged = AccessLog.objects.get(action="education_note_view")
    assert (logged.subject_id, logged.patient_id, logged.actor_id) == (
        str(shared_prompt.pk),
        personas.patient.pk,
        personas.therapist.pk,
    )


def test_the_therapist_withdraws_after_a_confirmation(personas, login, shared_reading):
    client = login(personas.therapist)
    assert "Take “" in client.get(f"/education/assignments/{shared_reading.pk}/withdraw/").content.decode()
    assert Assignment.objects.get(pk=shared_reading.pk).is_open
    client.post(f"/education/assignments/{shared_reading.pk}/withdraw/")
    assert not Assignment.objects.get(pk=shared_reading.pk).is_open
    portal = login(personas.patient_user)
    assert shared_reading.item.title not in portal.get("/portal/library/").content.decode()
    assert portal.get(f"/portal/library/{shared_reading.pk}/").status_code == 404


def test_the_patient_opens_writes_and_marks_done_in_the_portal(personas, login, shared_prompt, shared_reading):
    client = login(personas.patient_user)
    body = client.get("/portal/library/").content.decode()
    assert shared_prompt.item.title in body and shared_reading.item.title in body
    page = client.get(f"/portal/library/{shared_prompt.pk}/").content.decode()
    assert "Take your time with this one." in page and "Write an entry" in page
    response = client.post(f"/portal/library/{shared_prompt.pk}/", {"text": "It started after the move."})
    assert response.status_code == 302
    assert "It started after the move." in client.get(f"/portal/library/{shared_prompt.pk}/").content.decode()
    assert client.post(f"/portal/library/{shared_prompt.pk}/", {"text": " "}).status_code == 422
    client.post(f"/portal/library/{shared_reading.pk}/done/", {"done": "1", "back": "list"})
    assert Assignment.objects.get(pk=shared_reading.pk).is_done
    client.post(f"/portal/library/{shared_reading.pk}/done/", {"done": "0"})
    assert not Assignment.objects.get(pk=shared_reading.pk).is_done
    assert not AccessLog.objects.filter(action="education_journal_view").exists()  # the patient's own reading


def test_a_patient_never_opens_another_patients_material(personas, login, shared_prompt):
    _entry(personas, shared_prompt)
    client = login(personas.other_patient_user)
    assert shared_prompt.item.title not in client.get("/portal/library/").content.decode()
    assert client.get(f"/portal/library/{shared_prompt.pk}/").status_code == 404
    assert client.post(f"/portal/library/{shared_prompt.pk}/", {"text": "Mine now."}).status_code == 404
    assert client.post(f"/portal/library/{shared_prompt.pk}/done/", {"done": "1"}).status_code == 404
    assert PromptEntry.objects.count() == 1 and not Assignment.objects.get(pk=shared_prompt.pk).is_done


def test_staff_do_not_open_the_portal_library(personas, login, shared_prompt):
    assert login(personas.therapist).get("/portal/library/").status_code == 403


def _more_material(personas, count: int) -> None:
    for n in range(count):
        item = services.library_item_create(actor=personas.admin, title=f"Prompt {n}", kind=ItemKind.JOURNALING_PROMPT)
        assignment = services.assignment_create(actor=personas.therapist, patient=personas.patient, item=item)
        _entry(personas, assignment, f"Entry {n}")


def test_the_portal_library_page_queries_do_not_grow_with_material(personas, login, django_assert_max_num_queries):
    client = login(personas.patient_user)
    _more_material(personas, 2)
    # The portal menu's question whether *Book* leads anywhere is one of them.
    with django_assert_max_num_queries(6) as few:
        assert client.get("/portal/library/").status_code == 200
    _more_material(personas, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/portal/library/").status_code == 200


def test_the_chart_panel_queries_do_not_grow_with_material(personas, login, django_assert_max_num_queries):
    client = login(personas.therapist)
    url = f"/notes/patients/{personas.patient.pk}/chart/"
    _more_material(personas, 2)
    with django_assert_max_num_queries(26) as few:
        assert client.get(url).status_code == 200
    _more_material(personas, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_massage_therapist_treating_the_patient_reads_no_prompt_entries_as_on_the_chart(
    personas, login, shared_prompt
):
    """Journal entries written from a prompt are psychotherapy content: a massage and bodywork provider who sees
    the patient finds the assignment as the chart shows it to them, not at all."""
    from apps.accounts.disciplines import Discipline
    from tests.factories import ServiceTypeFactory, TherapistFactory, appointment_ahead

    _entry(personas, shared_prompt)
    masseuse = TherapistFactory(profile__discipline=Discipline.BODYWORK)
    massage = ServiceTypeFactory(code="RLX60", name="Relaxation massage", discipline=Discipline.BODYWORK)
    appointment_ahead(therapist=masseuse, patient=personas.patient, service_type=massage)

    client = login(masseuse)
    page = client.get(f"/education/assignments/{shared_prompt.pk}/")
    assert page.status_code == 404 and "father" not in page.content.decode()
    api = login(masseuse, api=True).get(f"/api/education/assignments/{shared_prompt.pk}/entries/")
    assert api.status_code in (403, 404) and "father" not in api.content.decode()
