"""The weekly time a patient is offered from the waitlist, the times they wrote in their journal and from the
library's prompts, the moment they signed an intake form and the times in the record they download: each names the
clock it is on, as every other time a patient reads does ("6:00 PM New York time")."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core import clock
from apps.core.when import clock_text
from apps.education import services as education
from apps.education.models import ItemKind
from apps.intake.models import DocumentKind, IntakeDocument
from apps.intake.services import document_sign, packet_send
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.outcomes.services import journal_entry_create
from apps.patients.models import Patient
from apps.records.documents import record_html
from apps.records.selectors import patient_record
from apps.scheduling.models import WorkingHours
from apps.scheduling.services import series_book, series_cancel_following
from apps.waitlist.models import SlotOffer
from apps.waitlist.services import slot_request_create
from tests.factories import AppointmentFactory, ServiceTypeFactory, appointment_ahead
from tests.places import pacific_office, pacific_room

pytestmark = pytest.mark.django_db

MONDAY = 0


def _on_clinic_clock(moment: dt.datetime, day_format: str = "%A, %B %-d, %Y") -> str:
    local = timezone.localtime(moment, clock.clinic_tz())
    return f"{local.strftime(day_format)} at {clock_text(local)} New York time"


def _weekly_time_offered(personas, *, room=None) -> SlotOffer:
    """The therapist's Monday 10:00 weekly series with the other patient is cancelled; the personas' patient, waiting
    for a Monday morning, is offered its time."""
    location = room.location if room is not None else None
    WorkingHours.objects.create(
        therapist=personas.therapist,
        weekday=MONDAY,
        start_time=dt.time(9),
        end_time=dt.time(18),
        **({"location": location} if location else {}),
    )
    service = ServiceTypeFactory()
    today = clock.local_now().date()
    booked = series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.other_patient,
        service_type=service,
        first_date=today + dt.timedelta(days=(MONDAY - today.weekday()) % 7 or 7),
        local_start_time=dt.time(10, 0),
        room=room,
        is_telehealth=room is None,
    )
    slot_request_create(
        actor=personas.patient_user,
        patient=personas.patient,
        service_type=service,
        weekdays=[MONDAY],
        earliest_start=dt.time(9),
        latest_start=dt.time(12),
    )
    series_cancel_following(appointment=booked.booked[0], actor=personas.front_desk, reason="Finished treatment")
    return SlotOffer.objects.get(request__patient=personas.patient)


@pytest.mark.parametrize("page", ["/portal/", "/portal/programs/slots/", "link"])
def test_a_weekly_time_offered_names_its_clock_on_every_portal_page(personas, login, page):
    _weekly_time_offered(personas)
    if page == "link":
        page = Message.objects.get(template="slot_offer", channel="email").context["accept_url"]
        page = page.split("localhost:8000", 1)[-1]

    body = login(personas.patient_user).get(page).content.decode()

    assert "Mondays at 10:00 AM New York time" in body, page


def test_a_weekly_time_at_an_office_in_another_zone_is_told_on_its_clock_and_the_patients(personas, login):
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone="America/New_York")
    _weekly_time_offered(personas, room=pacific_room(pacific_office()))

    body = login(personas.patient_user).get("/portal/programs/slots/").content.decode()

    assert "Mondays at 10:00 AM Los Angeles time (1:00 PM your time)" in body


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_the_weekly_time_offer_message_names_its_clock(personas, channel):
    _weekly_time_offered(personas)
    # The text goes only to a patient who agreed to texts; it is written from the same context as the email.
    message = Message.objects.get(template="slot_offer", channel="email")

    rendered = message_render(template=message.template, context=message.context, channel=channel)

    if channel == "email":
        assert "Mondays at 10:00 AM New York time" in rendered.subject
        assert "Mondays at 10:00 AM New York time" in rendered.text
        assert "Mondays at 10:00 AM New York time" in rendered.html
    else:
        assert "Mondays at 10:00 AM New York time" in rendered.sms


def test_a_weekly_time_offer_queued_before_its_clock_was_named_still_reads(personas):
    _weekly_time_offered(personas)
    message = Message.objects.get(template="slot_offer", channel="email")
    context = {k: v for k, v in message.context.items() if k not in {"first_start", "time_zone"}}
    context["start_time"] = "10:00 AM"  # what a notice queued before said the time with

    rendered = message_render(template=message.template, context=context, channel="email")

    assert "Mondays at 10:00 AM with" in rendered.text


def _journal_entry(personas):
    return journal_entry_create(actor=personas.patient_user, patient=personas.patient, text="The back eased.")


@pytest.mark.parametrize("page", ["list", "entry", "delete"])
def test_a_journal_entry_names_the_clock_it_was_written_on(personas, login, page):
    entry = _journal_entry(personas)
    client = login(personas.patient_user)
    body = {
        "list": lambda: client.get("/portal/journal/"),
        "entry": lambda: client.get(f"/portal/journal/{entry.pk}/"),
        "delete": lambda: client.post(f"/portal/journal/{entry.pk}/delete/"),
    }[page]().content.decode()

    assert _on_clinic_clock(entry.created_at) in body


def test_an_entry_written_from_a_library_prompt_names_its_clock(personas, login):
    prompt = education.library_item_create(
        actor=personas.therapist, title="When did the pain begin?", kind=ItemKind.JOURNALING_PROMPT
    )
    assignment = education.assignment_create(actor=personas.therapist, patient=personas.patient, item=prompt)
    entry = education.prompt_entry_write(actor=personas.patient_user, assignment=assignment, text="That spring.")

    body = login(personas.patient_user).get(f"/portal/library/{assignment.pk}/").content.decode()

    assert _on_clinic_clock(entry.created_at) in body


def test_the_signed_intake_form_names_the_clock_it_was_signed_on(personas, login):
    packet_send(actor=personas.front_desk, patient=personas.patient)
    consent = IntakeDocument.objects.select_related("current_version").get(kind=DocumentKind.TREATMENT_CONSENT)
    signature, _ = document_sign(
        actor=personas.patient_user,
        patient=personas.patient,
        version=consent.current_version,
        shown_sha256=consent.current_version.body_sha256,
        typed_name="Pat Ient",
        answers=None,
    )

    portal = login(personas.patient_user).get(f"/portal/forms/signed/{signature.pk}/").content.decode()
    staff = login(personas.front_desk).get(f"/intake/signed/{signature.pk}/").content.decode()

    for body in (portal, staff):
        assert _on_clinic_clock(signature.signed_at, "%B %-d, %Y") in body
        assert "clinic time" not in body


def test_the_record_pdf_names_the_clock_of_each_session_and_each_entry(personas):
    Patient.objects.filter(pk=personas.patient.pk).update(time_zone="America/New_York")
    personas.patient.refresh_from_db()
    here = appointment_ahead(therapist=personas.therapist, patient=personas.patient)
    pasadena = pacific_office()
    there_start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=30), dt.time(9), pasadena.zone)
    AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        start=there_start,
        end=there_start + dt.timedelta(hours=1),
        room=pacific_room(pasadena),
        location=pasadena,
    )
    entry = _journal_entry(personas)

    html = record_html(patient_record(user=personas.patient_user, patient=personas.patient))

    assert _on_clinic_clock(here.start, "%b %-d, %Y") in html
    assert f"{there_start:%b %-d, %Y} at 9:00 AM Los Angeles time (12:00 PM your time)" in html
    assert _on_clinic_clock(entry.created_at, "%B %-d, %Y") in html
