"""Publishing versions, sending packets (by hand and on booking a series) and signing, with the refusals."""

import datetime as dt

import pytest

from apps.core import clock
from apps.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, Unprocessable
from apps.core.models import ClinicSettings
from apps.intake import selectors
from apps.intake.models import IntakeDocument, Packet, PacketSource, Signature
from apps.intake.services import document_publish, packet_send, packet_send_for_new_series
from apps.notifications.models import Message
from apps.scheduling.models import AppointmentSeries
from tests.factories import ServiceTypeFactory

from .conftest import sign, sign_everything

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------------------------
# Publishing


def test_publishing_writes_the_next_version_and_leaves_the_old_one(personas, consent):
    first = consent.current_version
    version = document_publish(actor=personas.admin, document=consent, body="New words.\r\nSecond line.")
    consent.refresh_from_db()
    first.refresh_from_db()
    assert (version.number, consent.current_version, version.body) == (2, version, "New words.\nSecond line.")
    assert version.published_by == personas.admin
    assert first.number == 1 and first.body != version.body


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user"])
def test_only_an_admin_publishes(personas, consent, persona):
    with pytest.raises(PermissionDenied):
        document_publish(actor=getattr(personas, persona), document=consent, body="New words.")


def test_publishing_refuses_empty_unchanged_and_malformed_documents(personas, consent, questionnaire):
    with pytest.raises(Unprocessable, match="needs its text"):
        document_publish(actor=personas.admin, document=consent, body="   ")
    with pytest.raises(Unprocessable, match="Nothing changed"):
        document_publish(actor=personas.admin, document=consent, body=consent.current_version.body)
    with pytest.raises(Unprocessable, match="Only the questionnaire"):
        document_publish(actor=personas.admin, document=consent, body="x", fields=[{"key": "a"}])
    with pytest.raises(Unprocessable, match="questions need attention"):
        document_publish(actor=personas.admin, document=questionnaire, body="x", fields=[{"key": "Bad Key"}])
    assert consent.versions.count() == 1 and questionnaire.versions.count() == 1


# ---------------------------------------------------------------------------------------------------------------
# Sending


def test_sending_the_standard_packet_asks_for_the_standard_documents_and_queues_a_link(personas, sent):
    standard = set(IntakeDocument.objects.filter(in_standard_packet=True).values_list("pk", flat=True))
    assert set(sent.items.values_list("document_id", flat=True)) == standard
    assert {d.pk for d in selectors.patient_outstanding(patient=personas.patient)} == standard
    notice = Message.objects.get(dedupe_key=f"intake_packet:{sent.pk}:email")
    assert notice.template == "intake_packet"
    assert set(notice.context) == {"patient_first_name", "count", "portal_url"}
    assert notice.context["portal_url"].endswith("/portal/forms/")


def test_the_front_desk_chooses_the_documents(personas, consent):
    packet = packet_send(actor=personas.front_desk, patient=personas.patient, documents=[consent])
    assert list(packet.items.values_list("document_id", flat=True)) == [consent.pk]


def test_a_packet_needs_a_live_document(personas, consent):
    with pytest.raises(Unprocessable):
        packet_send(actor=personas.front_desk, patient=personas.patient, documents=[])
    IntakeDocument.objects.filter(pk=consent.pk).update(is_active=False)
    with pytest.raises(Unprocessable, match="retired"):
        packet_send(actor=personas.front_desk, patient=personas.patient, documents=[consent])
    assert not Packet.objects.exists()


@pytest.mark.parametrize("persona", ["therapist", "billing", "patient_user"])
def test_only_the_front_desk_and_admins_send_packets(personas, persona):
    with pytest.raises(PermissionDenied):
        packet_send(actor=getattr(personas, persona), patient=personas.patient)
    assert not Packet.objects.exists()


def _series(personas):
    """A series row as booking writes it (its sessions do not matter here)."""
    return AppointmentSeries.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        weekday=clock.local_now().weekday(),
        local_start_time=dt.time(10),
        first_date=clock.local_now().date(),
    )


def _packet_on_series(on: bool):
    settings_row = ClinicSettings.load()
    settings_row.intake_packet_on_series = on
    settings_row.save()


def test_booking_a_series_sends_the_standard_packet_once_when_the_clinic_says_so(personas):
    _packet_on_series(True)
    series = _series(personas)
    packet = packet_send_for_new_series(series=series, actor=personas.front_desk)
    assert (packet.source, packet.series, packet.sent_by) == (PacketSource.SERIES, series, personas.front_desk)
    assert packet.items.count() == IntakeDocument.objects.filter(in_standard_packet=True).count()
    assert packet_send_for_new_series(series=series, actor=personas.front_desk) is None
    assert Packet.objects.count() == 1


def test_booking_a_series_sends_nothing_when_the_setting_is_off(personas):
    _packet_on_series(False)
    assert packet_send_for_new_series(series=_series(personas), actor=personas.front_desk) is None
    assert not Packet.objects.exists()


def test_a_series_asks_only_for_what_the_patient_has_not_signed_at_the_current_version(personas, sent, consent):
    sign_everything(personas)
    assert packet_send_for_new_series(series=_series(personas), actor=personas.front_desk) is None
    _packet_on_series(True)
    assert packet_send_for_new_series(series=_series(personas), actor=personas.front_desk) is None
    document_publish(actor=personas.admin, document=consent, body="Updated consent.")
    packet = packet_send_for_new_series(series=_series(personas), actor=personas.front_desk)
    assert list(packet.items.values_list("document_id", flat=True)) == [consent.pk]


# ---------------------------------------------------------------------------------------------------------------
# Signing


def test_a_signature_records_version_hash_name_time_and_address(personas, sent, consent, questionnaire):
    signature, created = sign(personas, consent, typed_name="  Pat   Ient ")
    assert created
    assert signature.version == consent.current_version
    assert signature.text_sha256 == consent.current_version.body_sha256
    assert (signature.typed_name, signature.packet, signature.signed_by) == ("Pat Ient", sent, personas.patient_user)
    assert abs(signature.signed_at - clock.now()) < dt.timedelta(minutes=1)
    answered, _ = sign(personas, questionnaire)
    assert answered.answers["pain_now"] == 6 and answered.answers["medical_evaluation"] is True


def test_signing_twice_keeps_one_signature(personas, sent, consent):
    first, _ = sign(personas, consent)
    again, created = sign(personas, consent, typed_name="Pat Ient")
    assert (again, created) == (first, False)
    assert Signature.objects.count() == 1


def test_an_empty_name_is_refused_as_bad_input(personas, sent, consent):
    with pytest.raises(ApplicationError, match="Type your full name") as refused:
        sign(personas, consent, typed_name="   ")
    assert refused.value.status == 400
    assert not Signature.objects.exists()


def test_a_superseded_version_is_refused_with_a_conflict(personas, sent, consent):
    old = consent.current_version
    document_publish(actor=personas.admin, document=consent, body="New words.")
    with pytest.raises(Conflict, match="updated after you opened it"):
        sign(personas, consent, version=old, shown_sha256=old.body_sha256)
    assert not Signature.objects.exists()


def test_a_hash_of_other_words_is_refused(personas, sent, consent):
    with pytest.raises(Conflict, match="not the text"):
        sign(personas, consent, shown_sha256="0" * 64)


def test_the_questionnaires_required_answers_are_checked(personas, sent, questionnaire):
    with pytest.raises(Unprocessable) as refused:
        sign(personas, questionnaire, answers={"pain_now": 11})
    assert {"reason", "pain_now"} <= set(refused.value.fields)
    assert not Signature.objects.exists()


def test_nobody_signs_for_someone_else_and_nobody_signs_what_was_not_sent(personas, sent, consent):
    for persona in ["other_patient_user", "front_desk", "therapist"]:
        with pytest.raises(PermissionDenied):
            sign(personas, consent, actor=getattr(personas, persona))
    release = IntakeDocument.objects.get(kind="release_of_information")
    with pytest.raises(NotFound):
        sign(personas, release)


def test_a_new_version_asks_again_for_that_document_only(personas, sent, consent):
    sign_everything(personas)
    assert selectors.patient_outstanding(patient=personas.patient) == []
    document_publish(actor=personas.admin, document=consent, body="Updated consent.")
    assert selectors.patient_outstanding(patient=personas.patient) == [consent]
    row = next(r for r in selectors.patient_documents(patient=personas.patient) if r.document == consent)
    assert row.needs_new_signature and row.signature.version.number == 1
    consent.refresh_from_db()
    sign(personas, consent)
    assert selectors.patient_outstanding(patient=personas.patient) == []
    assert Signature.objects.filter(document=consent).count() == 2


def test_an_admin_turns_the_series_packet_on_from_the_clinic_settings_page(personas, login):
    client = login(personas.admin)
    form = client.get("/accounts/clinic-settings/").context["form"]
    assert "Send the intake packet when a series is booked" in form["intake_packet_on_series"].label
    data = {name: value for name, value in form.initial.items() if value is not None and value is not False}
    response = client.post("/accounts/clinic-settings/", {**data, "intake_packet_on_series": "on"})
    assert response.status_code == 302
    assert ClinicSettings.load().intake_packet_on_series


def _book_weekly(personas, first_date: dt.date):
    from apps.scheduling.services import series_book

    return series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        first_date=first_date,
        local_start_time=dt.time(10),
        occurrence_count=4,
        override_reason="Outside the usual hours for this test.",
    )


def test_booking_a_weekly_series_sends_the_packet_through_its_transition(personas):
    _packet_on_series(True)
    first_date = clock.local_now().date() + dt.timedelta(days=14)
    booked = _book_weekly(personas, first_date)
    assert len(booked.booked) == 4
    packet = Packet.objects.get()
    assert (packet.source, packet.series, packet.sent_by) == (PacketSource.SERIES, booked.series, personas.front_desk)
    assert Message.objects.filter(patient=personas.patient, template="intake_packet").exists()


def test_booking_a_weekly_series_sends_nothing_with_the_setting_off(personas):
    _packet_on_series(False)
    _book_weekly(personas, clock.local_now().date() + dt.timedelta(days=14))
    assert not Packet.objects.exists()
