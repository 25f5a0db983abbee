"""A check-in made in error (the wrong patient ticked at the desk) can be taken back while the session is still only
checked in: it is booked again and the transition says who undid it. Once the session is completed (charged, or its
note signed, which completes it) the check-in stays. Each moment is set on a frozen clock, so the tests hold at any
hour the suite runs."""

import pytest
from django.urls import reverse

from apps.billing.models import Charge
from apps.core.errors import InvalidTransition
from apps.notes.models import NoteTemplate
from apps.notes.services import note_create, note_sign, note_templates_ensure
from apps.notifications.models import Message
from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentStatus, AppointmentTransition
from tests.locking import HeldElsewhere, at_once
from tests.notes.conftest import complete_progress_content

from .conftest import MONDAY, at

UNDO = "Undo check-in"


def _history(appointment) -> list[tuple]:
    return list(
        AppointmentTransition.objects.filter(appointment=appointment)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor_id", "reason")
    )


def _chained(appointment) -> bool:
    """Each transition starts where the one before it ended, and the last is where the session stands."""
    rows = _history(appointment)
    steps = all(before[1] == after[0] for before, after in zip(rows, rows[1:], strict=False))
    return steps and rows[-1][1] == Appointment.objects.get(pk=appointment.pk).status


@pytest.fixture
def checked_in(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9, 40))
    return services.appointment_check_in(appointment=session, actor=clinic.front_desk)


@pytest.mark.django_db
def test_undoing_a_check_in_books_the_session_again_and_records_who_undid_it(clinic, checked_in):
    messages = Message.objects.count()
    assert messages
    undone = services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    assert Message.objects.count() == messages  # its reminders were queued at booking, and are not queued twice
    stored = Appointment.objects.get(pk=checked_in.pk)
    assert (undone.status, stored.status, stored.checked_in_at) == ("booked", "booked", None)
    assert _history(checked_in)[-1] == ("checked_in", "booked", clinic.front_desk.pk, "Check-in undone.")
    assert _chained(checked_in)
    # Booked again, everything a booked session allows is open: checking in again, cancelling, moving.
    assert "check-in" in services.outcomes_open(stored)
    services.appointment_reschedule(appointment=stored, actor=clinic.front_desk, start=at(MONDAY, 14))


@pytest.mark.django_db
def test_once_undone_the_patient_who_never_came_can_be_marked_a_no_show(clinic, checked_in, frozen_now):
    frozen_now.move_to(at(MONDAY, 11))
    services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    marked = services.appointment_no_show(
        appointment=Appointment.objects.get(pk=checked_in.pk), actor=clinic.front_desk
    )
    assert marked.status == AppointmentStatus.NO_SHOW
    assert _chained(checked_in)


@pytest.mark.django_db
def test_a_repeated_undo_changes_nothing_and_writes_no_second_transition(clinic, checked_in):
    services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    again = services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    assert again.status == AppointmentStatus.BOOKED
    assert [row[1] for row in _history(checked_in)] == ["booked", "checked_in", "booked"]


@pytest.mark.django_db
def test_undo_is_refused_once_the_session_is_completed_and_its_charge_stays(clinic, checked_in, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 50))
    services.appointment_complete(appointment=checked_in, actor=clinic.therapist)
    charges = list(Charge.objects.filter(appointment=checked_in).values_list("pk", flat=True))
    with pytest.raises(InvalidTransition, match="completed, so its check-in can no longer be undone"):
        services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    stored = Appointment.objects.get(pk=checked_in.pk)
    assert (stored.status, stored.checked_in_at) == (AppointmentStatus.COMPLETED, at(MONDAY, 9, 40))
    assert list(Charge.objects.filter(appointment=checked_in).values_list("pk", flat=True)) == charges
    assert "undo-check-in" not in services.outcomes_open(stored)


@pytest.mark.django_db
def test_undo_is_refused_once_the_therapist_signed_the_note(clinic, checked_in, frozen_now):
    note_templates_ensure()
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    note = note_create(
        actor=clinic.therapist, appointment=checked_in, template=template, content=complete_progress_content()
    )
    frozen_now.move_to(at(MONDAY, 10, 50))
    note_sign(actor=clinic.therapist, note=note, attest=True)  # signing completes the session
    with pytest.raises(InvalidTransition):
        services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    assert Appointment.objects.get(pk=checked_in.pk).status == AppointmentStatus.COMPLETED


@pytest.mark.django_db
def test_a_session_never_checked_in_offers_no_undo(clinic, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9, 40))
    assert "undo-check-in" not in services.outcomes_open(session)
    services.appointment_cancel(appointment=session, actor=clinic.front_desk, reason="Wrong day", waive_late_fee=True)
    with pytest.raises(InvalidTransition):
        services.appointment_check_in_undo(appointment=session, actor=clinic.front_desk)


# ---------------------------------------------------------------------------------------------------------------
# Pages and the API


@pytest.mark.django_db
def test_the_session_page_offers_the_undo_to_the_front_desk_after_a_check_in(clinic, login, session, frozen_now):
    frozen_now.move_to(at(MONDAY, 9, 40))
    client = login(clinic.front_desk)
    page = reverse("scheduling:appointment_detail", args=[session.pk])
    assert client.post(reverse("scheduling:appointment_action", args=[session.pk, "check-in"])).status_code == 302
    body = client.get(page).content.decode()
    undo = reverse("scheduling:appointment_action", args=[session.pk, "undo-check-in"])
    assert f'action="{undo}"' in body and f"{UNDO}</button>" in body
    response = client.post(undo, follow=True)
    assert "Check-in undone." in response.content.decode()
    assert Appointment.objects.get(pk=session.pk).status == AppointmentStatus.BOOKED
    after = client.get(page).content.decode()
    assert f"{UNDO}</button>" not in after and "Check in</button>" in after and "Cancel session…" in after


@pytest.mark.django_db
def test_the_arrivals_list_offers_the_undo_beside_a_checked_in_patient(clinic, login, checked_in):
    client = login(clinic.front_desk)
    undo = reverse("scheduling:appointment_action", args=[checked_in.pk, "undo-check-in"])
    body = client.get("/").content.decode()
    assert f'action="{undo}"' in body
    assert f'{UNDO}<span class="visually-hidden"> {clinic.patient.display_name}</span>' in body
    response = client.post(undo, {"next": "/"})
    assert (response.status_code, response.url) == (302, "/")
    assert Appointment.objects.get(pk=checked_in.pk).status == AppointmentStatus.BOOKED


@pytest.mark.django_db
def test_the_therapists_day_offers_the_undo_beside_a_checked_in_session(clinic, login, checked_in):
    client = login(clinic.therapist)
    undo = reverse("scheduling:appointment_action", args=[checked_in.pk, "undo-check-in"])
    day = f"{reverse('scheduling:my_day')}?date={MONDAY.isoformat()}"
    body = client.get(day).content.decode()
    assert f'action="{undo}"' in body and f"{UNDO}</button>" in body
    response = client.post(undo, {"next": day})
    assert (response.status_code, response.url) == (302, day)
    assert Appointment.objects.get(pk=checked_in.pk).status == AppointmentStatus.BOOKED


@pytest.mark.django_db
def test_billing_cannot_undo_a_check_in(clinic, login, checked_in):
    undo = reverse("scheduling:appointment_action", args=[checked_in.pk, "undo-check-in"])
    assert login(clinic.billing).post(undo).status_code == 403
    assert login(clinic.billing, api=True).post(f"/api/appointments/{checked_in.pk}/undo-check-in/").status_code == 403
    assert Appointment.objects.get(pk=checked_in.pk).status == AppointmentStatus.CHECKED_IN


@pytest.mark.django_db
def test_undoing_through_the_api_and_refused_once_completed(clinic, login, checked_in, frozen_now):
    client = login(clinic.front_desk, api=True)
    response = client.post(f"/api/appointments/{checked_in.pk}/undo-check-in/")
    assert response.status_code == 200 and response.json()["status"] == "booked"
    assert response.json()["checked_in_at"] is None
    services.appointment_check_in(appointment=Appointment.objects.get(pk=checked_in.pk), actor=clinic.front_desk)
    frozen_now.move_to(at(MONDAY, 10, 5))  # started; within the 30-minute idle timeout
    services.appointment_complete(appointment=Appointment.objects.get(pk=checked_in.pk), actor=clinic.therapist)
    assert client.post(f"/api/appointments/{checked_in.pk}/undo-check-in/").status_code == 409


# ---------------------------------------------------------------------------------------------------------------
# At the same time as another change


@pytest.mark.django_db(transaction=True)
def test_an_undo_waiting_on_a_completion_finds_it_completed_and_refuses(clinic, checked_in, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 50))
    completing = HeldElsewhere(
        lambda: services.appointment_complete(
            appointment=Appointment.objects.get(pk=checked_in.pk), actor=clinic.therapist
        )
    )
    completing.release_soon()
    with pytest.raises(InvalidTransition):
        services.appointment_check_in_undo(appointment=checked_in, actor=clinic.front_desk)
    completing.join()
    stored = Appointment.objects.get(pk=checked_in.pk)
    assert (stored.status, stored.checked_in_at) == (AppointmentStatus.COMPLETED, at(MONDAY, 9, 40))
    assert [row[1] for row in _history(checked_in)] == ["booked", "checked_in", "completed"]
    assert _chained(checked_in)


@pytest.mark.django_db(transaction=True)
def test_a_completion_waiting_on_an_undo_completes_the_booked_session(clinic, checked_in, frozen_now):
    frozen_now.move_to(at(MONDAY, 10, 50))
    undoing = HeldElsewhere(
        lambda: services.appointment_check_in_undo(
            appointment=Appointment.objects.get(pk=checked_in.pk), actor=clinic.front_desk
        )
    )
    undoing.release_soon()
    services.appointment_complete(appointment=checked_in, actor=clinic.therapist)
    undoing.join()
    stored = Appointment.objects.get(pk=checked_in.pk)
    assert (stored.status, stored.checked_in_at) == (AppointmentStatus.COMPLETED, None)
    assert [row[1] for row in _history(checked_in)] == ["booked", "checked_in", "booked", "completed"]
    assert _chained(checked_in)


@pytest.mark.django_db(transaction=True)
def test_two_undos_at_once_write_one_transition(clinic, checked_in):
    outcomes = at_once(
        *[
            lambda: services.appointment_check_in_undo(
                appointment=Appointment.objects.get(pk=checked_in.pk), actor=clinic.front_desk
            )
        ]
        * 2
    )
    assert [getattr(o, "status", o) for o in outcomes] == ["booked", "booked"]
    assert [row[1] for row in _history(checked_in)] == ["booked", "checked_in", "booked"]
    assert _chained(checked_in)
