"""The intake pages: the patient's forms in the portal, the staff card, list, signed document and document
management, each with the roles that may not open it, bad input, and query counts that do not grow."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AccessLog
from apps.intake.models import IntakeDocument, Packet, Signature
from apps.intake.services import document_publish, packet_send
from apps.notifications.models import Message
from tests.factories import PatientFactory

from .conftest import QUESTIONNAIRE_ANSWERS, sign, sign_everything

pytestmark = pytest.mark.django_db


def _sign_post(document, **overrides):
    version = document.current_version
    return {"version": version.pk, "shown_sha256": version.body_sha256, "typed_name": "Pat Ient", **overrides}


# ---------------------------------------------------------------------------------------------------------------
# The portal


def test_the_patient_sees_the_forms_to_sign_and_signs_one(personas, login, sent, consent):
    client = login(personas.patient_user)
    home = client.get("/portal/")
    assert b"Complete your forms" in home.content
    page = client.get("/portal/forms/")
    assert page.status_code == 200 and consent.title.encode() in page.content
    form = client.get(f"/portal/forms/{consent.pk}/", REMOTE_ADDR="203.0.113.9")
    assert consent.current_version.body.split("\n")[0].encode() in form.content
    response = client.post(f"/portal/forms/{consent.pk}/", _sign_post(consent), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302 and response.url == "/portal/forms/"
    signature = Signature.objects.get()
    assert (signature.ip_address, signature.typed_name) == ("203.0.113.9", "Pat Ient")
    shown = client.get(f"/portal/forms/signed/{signature.pk}/")
    assert shown.status_code == 200 and signature.text_sha256.encode() in shown.content


def test_the_home_card_counts_the_forms_to_sign_as_the_forms_page_lists_them_without_reading_their_text(
    personas, login, sent, consent
):
    client = login(personas.patient_user)
    sign(personas, consent)

    with CaptureQueriesContext(connection) as home:
        body = client.get("/portal/").content.decode()
    outstanding = len(client.get("/portal/forms/").context["outstanding"])

    assert outstanding >= 1
    assert f"{outstanding} form{'s' if outstanding != 1 else ''}</strong> to read and sign" in body
    assert not [q["sql"] for q in home.captured_queries if '"intake_documentversion"."body"' in q["sql"]]
    for item in sent.items.select_related("document__current_version").exclude(document=consent):
        sign(personas, item.document)
    assert "All your forms are signed." in client.get("/portal/").content.decode()


def test_the_questionnaire_is_a_form_whose_answers_are_signed(personas, login, sent, questionnaire):
    client = login(personas.patient_user)
    page = client.get(f"/portal/forms/{questionnaire.pk}/")
    assert b'name="reason"' in page.content and b'name="pain_now"' in page.content
    missing = client.post(f"/portal/forms/{questionnaire.pk}/", _sign_post(questionnaire, pain_now="12"))
    assert missing.status_code == 422 and b"Enter a whole number from 0 to 10." in missing.content
    answers = {**QUESTIONNAIRE_ANSWERS, "medical_evaluation": "yes", "pain_now": "6"}
    done = client.post(f"/portal/forms/{questionnaire.pk}/", _sign_post(questionnaire, **answers))
    assert done.status_code == 302
    assert Signature.objects.get().answers["reason"] == QUESTIONNAIRE_ANSWERS["reason"]


def test_an_empty_name_answers_422_and_signs_nothing(personas, login, sent, consent):
    response = login(personas.patient_user).post(f"/portal/forms/{consent.pk}/", _sign_post(consent, typed_name=" "))
    assert response.status_code == 422 and b"Type your full name" in response.content
    assert not Signature.objects.exists()


def test_signing_a_superseded_version_answers_409_and_shows_the_new_one(personas, login, sent, consent):
    old = _sign_post(consent)
    document_publish(actor=personas.admin, document=consent, body="The updated consent.")
    response = login(personas.patient_user).post(f"/portal/forms/{consent.pk}/", old)
    assert response.status_code == 409
    assert b"updated after you opened it" in response.content and b"The updated consent." in response.content
    assert not Signature.objects.exists()


def test_a_double_submit_signs_once(personas, login, sent, consent):
    client = login(personas.patient_user)
    assert client.post(f"/portal/forms/{consent.pk}/", _sign_post(consent)).status_code == 302
    again = client.post(f"/portal/forms/{consent.pk}/", _sign_post(consent))
    assert again.status_code == 409 and b"You had already signed this on" in again.content
    assert Signature.objects.count() == 1


@pytest.mark.parametrize("version", ["x", "²", "1.5", "9" * 30])
def test_a_form_without_its_version_answers_422(personas, login, sent, consent, version):
    response = login(personas.patient_user).post(f"/portal/forms/{consent.pk}/", _sign_post(consent, version=version))
    assert response.status_code == 422
    assert not Signature.objects.exists()


def test_someone_elses_forms_are_not_found(personas, login, sent, consent):
    signature, _ = sign(personas, consent)
    client = login(personas.other_patient_user)
    assert client.get(f"/portal/forms/{consent.pk}/").status_code == 404
    assert client.post(f"/portal/forms/{consent.pk}/", _sign_post(consent)).status_code == 404
    assert client.get(f"/portal/forms/signed/{signature.pk}/").status_code == 404
    assert Signature.objects.count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "admin"])
def test_staff_do_not_use_the_portals_forms(personas, login, sent, consent, persona):
    client = login(getattr(personas, persona))
    assert client.get("/portal/forms/").status_code == 403
    assert client.post(f"/portal/forms/{consent.pk}/", _sign_post(consent)).status_code == 403


def test_the_forms_page_queries_do_not_grow_with_documents(personas, login, sent, django_assert_max_num_queries):
    client = login(personas.patient_user)
    with CaptureQueriesContext(connection) as few:
        client.get("/portal/forms/")
    sign_everything(personas)
    for document in IntakeDocument.objects.all():
        document_publish(
            actor=personas.admin,
            document=document,
            body="Version two.",
            fields=[] if not document.is_questionnaire else document.current_version.fields,
        )
    with django_assert_max_num_queries(len(few)):
        assert client.get("/portal/forms/").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# Staff: the patient page card and sending


def test_the_patient_page_shows_each_documents_state_and_sends_a_packet(personas, login, consent):
    client = login(personas.front_desk)
    page = client.get(f"/patients/{personas.patient.pk}/")
    assert b"No intake forms sent yet." in page.content and b"Send forms" in page.content
    response = client.post(f"/intake/patients/{personas.patient.pk}/send/", {"documents": [consent.pk]})
    assert response.status_code == 302
    assert list(Packet.objects.get().items.values_list("document_id", flat=True)) == [consent.pk]
    page = client.get(f"/patients/{personas.patient.pk}/")
    assert b"not signed yet" in page.content
    sign(personas, consent)
    assert b"signed</span>" in client.get(f"/patients/{personas.patient.pk}/").content


def _ticked(page) -> set[int]:
    """The documents the patient page's send form offers ticked."""
    inputs = re.findall(rb'<input type="checkbox" name="documents" value="(\d+)"( checked)?>', page.content)
    return {int(pk) for pk, checked in inputs if checked}


def test_the_send_form_ticks_the_standard_forms_the_patient_has_not_signed(personas, login, sent, consent):
    client = login(personas.front_desk)
    standard = set(IntakeDocument.objects.filter(in_standard_packet=True).values_list("pk", flat=True))
    assert _ticked(client.get(f"/patients/{personas.patient.pk}/")) == standard
    sign(personas, consent)
    assert _ticked(client.get(f"/patients/{personas.patient.pk}/")) == standard - {consent.pk}
    # A new text is asked again, as a new series would ask it.
    document_publish(actor=personas.admin, document=consent, body="The updated consent.")
    assert _ticked(client.get(f"/patients/{personas.patient.pk}/")) == standard
    sign_everything(personas)
    assert _ticked(client.get(f"/patients/{personas.patient.pk}/")) == set()


@pytest.mark.parametrize("documents", [[], ["²"], ["abc", "1.5"]])
def test_sending_nothing_is_refused_422_on_the_forms_own_page(personas, login, documents):
    response = login(personas.front_desk).post(
        f"/intake/patients/{personas.patient.pk}/send/", {"documents": documents}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="error-summary"' in html and "No forms were sent. Choose at least one document to send." in html
    assert 'href="#packet-documents"' in html and 'id="packet-documents"' in html
    assert _ticked(response) == set()  # nothing chosen, nothing ticked in place of the choice
    assert not Packet.objects.exists() and not Message.objects.filter(template="intake_packet").exists()


def test_a_document_retired_meanwhile_is_refused_422_keeping_the_other_choices(personas, login, consent):
    chosen = list(IntakeDocument.objects.filter(in_standard_packet=True).exclude(pk=consent.pk)[:2])
    assert len(chosen) == 2
    IntakeDocument.objects.filter(pk=consent.pk).update(is_active=False)  # retired while the page was open
    response = login(personas.front_desk).post(
        f"/intake/patients/{personas.patient.pk}/send/", {"documents": [consent.pk, *(d.pk for d in chosen)]}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "No forms were sent. Some of those documents are retired or have no published text." in html
    assert _ticked(response) == {d.pk for d in chosen}  # the choices still on offer, kept
    assert f'value="{consent.pk}"' not in html
    assert f'href="/patients/{personas.patient.pk}/"' in html  # back to the patient page
    assert not Packet.objects.exists() and not Message.objects.filter(template="intake_packet").exists()


@pytest.mark.parametrize("persona", ["therapist", "billing", "patient_user"])
def test_only_the_front_desk_and_admins_send_from_the_patient_page(personas, login, persona):
    client = login(getattr(personas, persona))
    assert client.post(f"/intake/patients/{personas.patient.pk}/send/", {}).status_code == 403
    assert not Packet.objects.exists()


def test_the_treating_therapist_sees_the_card_without_the_send_form(personas, login, sent):
    page = login(personas.therapist).get(f"/patients/{personas.patient.pk}/")
    assert b"Intake forms" in page.content and b"Send forms" not in page.content


def test_billing_does_not_see_the_card(personas, login, sent):
    page = login(personas.billing).get(f"/patients/{personas.patient.pk}/")
    assert page.status_code == 200 and b"intake-card-h" not in page.content


# ---------------------------------------------------------------------------------------------------------------
# Staff: the outstanding list and a signed document


def test_the_outstanding_list_shows_who_has_forms_to_sign(personas, login, sent, consent):
    done = PatientFactory()
    packet_send(actor=personas.front_desk, patient=done, documents=[consent])
    client = login(personas.front_desk)
    page = client.get("/intake/")
    assert [p.pk for p in page.context["patients"]] == [personas.patient.pk, done.pk]
    assert page.context["patients"][0].documents_outstanding == sent.items.count()
    packet_send(actor=personas.front_desk, patient=personas.other_patient, documents=[consent])
    sign_everything(personas)
    assert [p.pk for p in client.get("/intake/").context["patients"]] == [done.pk, personas.other_patient.pk]


@pytest.mark.parametrize("persona", ["therapist", "billing", "patient_user"])
def test_the_outstanding_list_is_for_the_front_desk_and_admins(personas, login, persona):
    assert login(getattr(personas, persona)).get("/intake/").status_code == 403


def test_the_outstanding_list_queries_do_not_grow(personas, login, consent, django_assert_max_num_queries):
    client = login(personas.admin)
    packet_send(actor=personas.front_desk, patient=PatientFactory(), documents=[consent])
    with CaptureQueriesContext(connection) as few:
        client.get("/intake/")
    for _ in range(8):
        packet_send(actor=personas.front_desk, patient=PatientFactory(), documents=[consent])
    with django_assert_max_num_queries(len(few)):
        assert client.get("/intake/").context["patients"].__len__() == 9


@pytest.mark.parametrize("persona", ["front_desk", "admin", "therapist"])
def test_staff_who_may_see_the_packet_read_the_signed_text_and_it_is_logged(personas, login, sent, consent, persona):
    signature, _ = sign(personas, consent)
    page = login(getattr(personas, persona)).get(f"/intake/signed/{signature.pk}/")
    assert page.status_code == 200
    assert b"Print" in page.content and signature.text_sha256.encode() in page.content
    assert AccessLog.objects.filter(action="intake.view_signature", subject_id=str(signature.pk)).exists()


@pytest.mark.parametrize(("persona", "reads_answers"), [("therapist", True), ("front_desk", False), ("admin", False)])
def test_the_questionnaires_answers_are_read_by_the_psychotherapist_alone(
    personas, login, sent, questionnaire, persona, reads_answers
):
    signature, _ = sign(personas, questionnaire)

    page = login(getattr(personas, persona)).get(f"/intake/signed/{signature.pk}/").content.decode()

    assert signature.text_sha256 in page
    assert (QUESTIONNAIRE_ANSWERS["reason"] in page) is reads_answers
    assert ("only the patient's psychotherapist reads them" in page) is not reads_answers


@pytest.mark.parametrize(("persona", "opens_the_chart"), [("therapist", True), ("front_desk", False)])
def test_a_clinician_reading_the_answers_has_a_way_back_to_the_clinical_chart(
    personas, login, sent, questionnaire, persona, opens_the_chart
):
    """The chart's "Needs review" links here; marking the answer reviewed happens back on the chart."""
    signature, _ = sign(personas, questionnaire)
    page = login(getattr(personas, persona)).get(f"/intake/signed/{signature.pk}/").content.decode()
    assert (f'href="/notes/patients/{personas.patient.pk}/chart/"' in page) is opens_the_chart
    assert f'href="/patients/{personas.patient.pk}/"' in page


def test_an_admin_who_is_a_django_superuser_does_not_read_the_answers(personas, login, sent, questionnaire):
    """The answers are psychotherapy content: Django's pass for a superuser does not reach them."""
    signature, _ = sign(personas, questionnaire)
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save(update_fields=["is_staff", "is_superuser"])

    page = login(personas.admin).get(f"/intake/signed/{signature.pk}/").content.decode()

    assert signature.text_sha256 in page
    assert QUESTIONNAIRE_ANSWERS["reason"] not in page
    assert not personas.admin.has_perm("intake.view_answers", personas.patient)


def test_the_patient_reads_their_own_answers_in_the_portal(personas, login, sent, questionnaire):
    signature, _ = sign(personas, questionnaire)
    page = login(personas.patient_user).get(f"/portal/forms/signed/{signature.pk}/")
    assert QUESTIONNAIRE_ANSWERS["reason"] in page.content.decode()


@pytest.mark.parametrize("persona", ["other_therapist", "billing", "other_patient_user", "patient_user"])
def test_others_do_not_find_a_signed_document(personas, login, sent, consent, persona):
    signature, _ = sign(personas, consent)
    assert login(getattr(personas, persona)).get(f"/intake/signed/{signature.pk}/").status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Admin: documents


def test_an_admin_publishes_a_new_version_from_the_document_page(personas, login, consent):
    client = login(personas.admin)
    assert consent.title.encode() in client.get("/intake/documents/").content
    unconfirmed = client.post(f"/intake/documents/{consent.pk}/", {"body": "New text."})
    assert unconfirmed.status_code == 422 and b"error-summary" in unconfirmed.content
    assert consent.versions.count() == 1
    response = client.post(f"/intake/documents/{consent.pk}/", {"body": "New text.", "confirm": "on"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert (consent.current_version.number, consent.current_version.body) == (2, "New text.")


def test_malformed_questions_are_refused_on_the_document_page(personas, login, questionnaire):
    client = login(personas.admin)
    response = client.post(
        f"/intake/documents/{questionnaire.pk}/", {"body": "x", "fields_json": "[{", "confirm": "on"}
    )
    assert response.status_code == 422 and b"not valid JSON" in response.content
    response = client.post(
        f"/intake/documents/{questionnaire.pk}/", {"body": "x", "fields_json": '[{"key": "A"}]', "confirm": "on"}
    )
    assert response.status_code == 422 and b"lowercase letters" in response.content
    assert questionnaire.versions.count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user"])
def test_only_admins_manage_documents(personas, login, consent, persona):
    client = login(getattr(personas, persona))
    assert client.get("/intake/documents/").status_code == 403
    assert client.post(f"/intake/documents/{consent.pk}/", {"body": "x", "confirm": "on"}).status_code == 403


def test_a_name_that_is_not_the_patients_does_not_sign(personas, login, sent, consent):
    response = login(personas.patient_user).post(
        f"/portal/forms/{consent.pk}/", _sign_post(consent, typed_name="Zorro")
    )
    assert response.status_code == 422
    assert b"Type your full name as the clinic has it: first and last name." in response.content
    assert not Signature.objects.exists()


def test_a_questionnaire_with_answers_to_fix_links_from_the_top_to_the_first_one(personas, login, sent, questionnaire):
    response = login(personas.patient_user).post(
        f"/portal/forms/{questionnaire.pk}/",
        _sign_post(questionnaire, **{**QUESTIONNAIRE_ANSWERS, "medical_evaluation": "yes", "pain_now": "12"}),
    )
    body = response.content.decode()
    summary = body.index("Some answers need attention")
    assert summary < body.index('id="field-') and 'href="#field-pain_now"' in body[summary:]
