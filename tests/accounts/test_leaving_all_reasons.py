"""Someone asked to leave (deactivated, no longer a therapist, made pre-licensed) is refused with every reason at
once: sessions booked ahead, therapists they supervise, notes awaiting their co-signature. The confirmation page is
never offered for a deactivation the server would refuse. A hand-over of notes says what becomes of the supervisees:
they keep their supervisor until each is named another, and until then the supervisor cannot leave."""

import datetime as dt
import html

import pytest

from apps.accounts.models import TherapistProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import (
    staff_deactivate,
    staff_deactivation_refusal,
    staff_roles_change,
    therapist_profile_change,
)
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import Conflict
from apps.notes.models import NoteTemplate
from apps.notes.services import note_cosigns_hand_over, note_create, note_sign, note_templates_ensure
from tests.conftest import admin_profile_change
from tests.factories import AppointmentFactory, TherapistFactory
from tests.notes.conftest import complete_progress_content, past_appointment_for
from tests.places import coming_thursday

pytestmark = pytest.mark.django_db

SESSIONS = "Theo Rapist has 1 booked session to come"
SUPERVISES = "Theo Rapist supervises 1 therapist (Tess Rainee)"
AWAITING = "1 signed note awaits Theo Rapist's co-signature"


def _url(user, action: str = "") -> str:
    return f"/accounts/users/{user.pk}/{action + '/' if action else ''}"


@pytest.fixture
def awaiting(personas, trainee):
    """One note the trainee signed, awaiting the personas' therapist's co-signature."""
    note_templates_ensure()
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    session = past_appointment_for(trainee, personas.patient, days_ago=2)
    note = note_create(actor=trainee, appointment=session, template=template, content=complete_progress_content())
    return note_sign(actor=trainee, note=note, attest=True)


@pytest.fixture
def booked_ahead(personas):
    start = clock.local_datetime(coming_thursday(), dt.time(10, 0))
    return AppointmentFactory(therapist=personas.therapist, start=start, end=start + dt.timedelta(minutes=45))


def _every_reason(text: str) -> None:
    text = html.unescape(text)
    assert SESSIONS in text and SUPERVISES in text and AWAITING in text, text


def _still_there(user) -> bool:
    user = User.objects.select_related("therapist_profile").get(pk=user.pk)
    return user.is_active and Role.THERAPIST in user.roles and not user.therapist_profile.is_prelicensed


def test_deactivating_names_every_reason_at_once(personas, awaiting, booked_ahead, login):
    supervisor = personas.therapist
    _every_reason(staff_deactivation_refusal(actor=personas.admin, user=supervisor))
    with pytest.raises(Conflict) as refused:
        staff_deactivate(actor=personas.admin, user=supervisor)
    _every_reason(refused.value.message)

    admin = login(personas.admin)
    _every_reason(admin.get(_url(supervisor)).content.decode())
    done = admin.post(_url(supervisor, "deactivate"), {"confirmed": "yes"})
    assert done.status_code == 409
    _every_reason(done.content.decode())
    assert "Yes, deactivate" not in done.content.decode()
    assert _still_there(supervisor)
    assert not AccessLog.objects.filter(action="staff_deactivate").exists()


def test_taking_the_therapist_role_away_names_every_reason_at_once(personas, awaiting, booked_ahead, login):
    with pytest.raises(Conflict) as refused:
        staff_roles_change(actor=personas.admin, user=personas.therapist, roles=[Role.FRONT_DESK])
    _every_reason(refused.value.message)
    response = login(personas.admin).post(_url(personas.therapist), {"roles": [Role.FRONT_DESK]})
    assert response.status_code == 409
    _every_reason(response.content.decode())
    assert _still_there(personas.therapist)


def test_making_a_supervisor_prelicensed_names_every_reason_at_once(
    personas, awaiting, successor, superuser_admin, login
):
    with pytest.raises(Conflict) as refused:
        therapist_profile_change(
            actor=personas.admin, user=personas.therapist, is_prelicensed=True, supervisor=successor
        )
    assert SUPERVISES in refused.value.message and AWAITING in refused.value.message

    profile = personas.therapist.therapist_profile
    response = admin_profile_change(superuser_admin, profile, is_prelicensed=True, supervisor=successor.pk)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert SUPERVISES in text and AWAITING in text
    assert _still_there(personas.therapist)


def test_a_confirmation_refused_since_it_was_asked_answers_409_with_every_reason(personas, login):
    """Asked while nothing stood in the way; by the time the admin says yes, a session was booked and a supervisee
    named: the answer is the refusal page with both reasons (409), not a redirect with one of them."""
    admin = login(personas.admin)
    supervisor = personas.therapist
    asked = admin.post(_url(supervisor, "deactivate"))
    assert asked.status_code == 200 and "Yes, deactivate" in asked.content.decode()

    start = clock.local_datetime(coming_thursday(), dt.time(10, 0))
    AppointmentFactory(therapist=supervisor, start=start, end=start + dt.timedelta(minutes=45))
    TherapistFactory(
        first_name="Tess", last_name="Rainee", profile__is_prelicensed=True, profile__supervisor=supervisor
    )
    response = admin.post(_url(supervisor, "deactivate"), {"confirmed": "yes"})

    assert response.status_code == 409
    text = html.unescape(response.content.decode())
    assert SESSIONS in text and SUPERVISES in text, text
    assert "Theo Rapist cannot be deactivated now" in text and "Yes, deactivate" not in text
    assert _still_there(supervisor)
    assert not AccessLog.objects.filter(action="staff_deactivate").exists()


def test_a_crafted_post_never_shows_a_confirmation_the_server_would_refuse(personas, awaiting, booked_ahead, login):
    """The staff page hides the Deactivate button; a post made without it gets the refusal, not a Yes button."""
    response = login(personas.admin).post(_url(personas.therapist, "deactivate"))
    text = response.content.decode()
    assert response.status_code == 409
    assert "Yes, deactivate" not in text and 'name="confirmed"' not in text
    _every_reason(text)
    assert _still_there(personas.therapist)


def test_a_crafted_post_for_oneself_shows_the_refusal_not_the_confirmation(personas, login):
    response = login(personas.admin).post(_url(personas.admin, "deactivate"))
    assert response.status_code == 409
    text = html.unescape(response.content.decode())
    assert "You cannot deactivate your own account" in text and "Yes, deactivate" not in text


def test_the_hand_over_says_the_supervisees_keep_their_supervisor_until_named_another(
    personas, awaiting, trainee, successor, login
):
    admin = login(personas.admin)
    [section] = admin.get(_url(personas.therapist)).context["sections"]
    section = html.unescape(section)
    assert "Tess Rainee" in section and "keeps Theo Rapist as supervisor" in section
    assert f'href="{_url(trainee)}"' in section

    asked = html.unescape(
        admin.post(f"/notes/cosigns/{personas.therapist.pk}/hand-over/", {"successor": successor.pk}).content.decode()
    )
    assert "Tess Rainee" in asked and "keeps Theo Rapist as supervisor" in asked

    note_cosigns_hand_over(actor=personas.admin, supervisor=personas.therapist, successor=successor)
    assert TherapistProfile.objects.get(user=trainee).supervisor == personas.therapist
    with pytest.raises(Conflict, match=r"supervises 1 therapist \(Tess Rainee\)") as refused:
        staff_deactivate(actor=personas.admin, user=personas.therapist)
    assert refused.value.status == 409
    assert _still_there(personas.therapist)


def test_the_django_admin_deletes_no_therapist_profile(personas, trainee, superuser_admin):
    """Deleting a pre-licensed therapist's profile would end their supervision (their notes would need no
    co-signature) and deleting a supervisor's would change their discipline under their supervisees."""
    profile = TherapistProfile.objects.get(user=trainee)
    response = superuser_admin.post(
        f"/admin/accounts/therapistprofile/{profile.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 403
    assert TherapistProfile.objects.filter(pk=profile.pk, supervisor=personas.therapist).exists()


def test_the_django_admin_user_page_says_every_reason_a_deactivation_is_refused(
    personas, awaiting, booked_ahead, superuser_admin
):
    page = superuser_admin.get(f"/admin/accounts/user/{personas.therapist.pk}/change/")
    assert page.status_code == 200
    _every_reason(page.content.decode())
    assert f'href="{_url(personas.therapist)}"' in page.content.decode()
